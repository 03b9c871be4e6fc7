// The window's title names the screen as its heading does, in one form for every screen.
export function showTitle(heading: string): void {
  document.title = `${heading} – Aanmelder`;
}
