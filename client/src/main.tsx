import './zodJitless'
import { render } from 'solid-js/web'
import { App } from './App'
import './styles.css'

render(() => <App />, document.getElementById('root')!)

// Offline reloads of an open document: the worker answers the app shell and its queries from a cache.
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/sw.js').catch(() => {})
