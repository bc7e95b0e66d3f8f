/** Test support for other packages' suites: a seeded tenant with a collab server, and a provider helper. */
export { type CollabFixture, type Connected, createCollabFixture, openProvider } from './createCollabFixture'
