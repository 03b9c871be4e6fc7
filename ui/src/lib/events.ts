// Events on the window that tell the app shell (App.svelte, which owns the idle lock) what a
// screen or the IPC wrapper saw.

/** A command found the store locked: the Rust side locked before the page noticed. */
export const STORE_LOCKED_EVENT = 'aanmelder-store-locked';

/** The worker is busy elsewhere for this window (signing in in the browser): not idle. */
export const ACTIVE_EVENT = 'aanmelder-active';
