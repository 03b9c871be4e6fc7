// A press answered once. The core never sends or records twice, but a second click on a button
// whose first press is still being answered gets an answer of its own: the first one's success
// shown as its error, a second copy saved, a password recorded as passed twice. The key tells
// the buttons apart, so another row's button stays free meanwhile.
export class Presses<K> {
  private readonly answering = new Set<K>();

  /** Runs `answer` for the press of `key`, unless that key's last press is still answered. */
  async answer(key: K, answer: () => Promise<void>): Promise<void> {
    if (this.answering.has(key)) return;
    this.answering.add(key);
    try {
      await answer();
    } finally {
      this.answering.delete(key);
    }
  }
}
