import { createSignal } from 'solid-js'

const [version, setVersion] = createSignal(0)

/** Changes after anything that may move usage or the plan; the quota banner reads billing again when it does. */
export const billingVersion = version

/** Call after adding or removing a member, an upload, or a plan change (whether it went through or was refused). */
export function billingChanged(): void {
  setVersion((v) => v + 1)
}
