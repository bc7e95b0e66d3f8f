import { navigate } from '../lib/router'
import { CreateOrgForm } from './CreateOrgForm'

export function CreateOrgPage() {
  return (
    <section class="page narrow">
      <h1>New organization</h1>
      <p class="muted">You become its owner and can invite people afterwards.</p>
      <CreateOrgForm onCreated={() => navigate('/')} />
    </section>
  )
}
