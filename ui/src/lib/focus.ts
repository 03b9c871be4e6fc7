// A part of a screen that opens in place (a form to stop, delete or report, a history) takes
// the focus to its heading, as a new screen does: otherwise a keyboard or screen-reader user is
// left on the button that opened it, with the form somewhere else on the page.
export function focusHeading(node: HTMLElement): void {
  const heading = node.querySelector<HTMLElement>('h2');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}
