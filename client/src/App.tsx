export function App() {
  return (
    <main class="app-shell">
      <h1>Cutroom</h1>
      <p>Collaborative post-production in the browser.</p>
    </main>
  )
}
