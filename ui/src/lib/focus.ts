// A part of a screen that opens in place (a form to stop, delete or report, a history) takes
// the focus to its heading, as a new screen does: otherwise a keyboard or screen-reader user is
// left on the button that opened it, with the form somewhere else on the page. When it closes
// with the focus inside it (Annuleren, or a done form that leaves), the focus goes back to
// that button, if it is still there, instead of to the top of the page.
export function focusHeading(node: HTMLElement): { destroy: () => void } {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const heading = node.querySelector<HTMLElement>('h2');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  return {
    destroy() {
      const at = document.activeElement;
      const lost = !at || at === document.body || node.contains(at);
      if (lost && opener && opener !== document.body && opener.isConnected && !node.contains(opener)) {
        opener.focus();
      }
    },
  };
}
