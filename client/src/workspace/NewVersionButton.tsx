import type { UploadQueue } from '../media'
import type { BinAsset } from './binAsset'

/** "Upload new version" of an asset: the keyboard path to what dropping a file on the asset does. */
export function NewVersionButton(props: { asset: BinAsset; queue: UploadQueue; compact?: boolean }) {
  let input: HTMLInputElement | undefined
  return (
    <>
      <button
        type="button"
        class="ghost small"
        title={`Upload a new version of ${props.asset.name}`}
        aria-label={`Upload new version of ${props.asset.name}`}
        onClick={(e) => {
          e.stopPropagation()
          input?.click()
        }}
        onDblClick={(e) => e.stopPropagation()}
      >
        {props.compact ? '⇪' : 'Upload new version'}
      </button>
      <input
        ref={input}
        type="file"
        accept="video/*,audio/*,.mxf,.mkv"
        hidden
        data-testid="new-version-input"
        onChange={(e) => {
          const files = e.currentTarget.files
          if (files?.length) props.queue.add(files, { assetId: props.asset.id, name: props.asset.name })
          e.currentTarget.value = ''
        }}
      />
    </>
  )
}
