export function DocumentPage(props: { projectId: string; documentId: string }) {
  return (
    <section class="workspace">
      <h2>Document</h2>
      <p class="muted">
        {props.projectId} / {props.documentId}
      </p>
    </section>
  )
}
