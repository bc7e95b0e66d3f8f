export function ProjectPage(props: { projectId: string }) {
  return (
    <section class="workspace">
      <h2>Project</h2>
      <p class="muted">{props.projectId}</p>
    </section>
  )
}
