/**
 * Events that can overtake the answer they belong to (pure). `investigate.result` names an investigation by the id
 * that the answer to `investigate.start` carries; when the engine's answer and a quick investigation's result arrive
 * in one read of the socket, the event is handled before the answer's promise callback has the id, and was dropped —
 * leaving the view "querying" for ever. An event nobody claims is held here (the newest `keep` of them), and claimed
 * by its id once the answer has come.
 */
export class EarlyEvents<T> {
  private readonly held = new Map<number, T>();

  constructor(private readonly keep = 16) {}

  /** Hold an event no view was waiting for. */
  hold(id: number, ev: T): void {
    this.held.delete(id);
    this.held.set(id, ev);
    for (const old of this.held.keys()) {
      if (this.held.size <= this.keep) break;
      this.held.delete(old);
    }
  }

  /** The held event of `id` (taken: a second claim gets nothing), or undefined. */
  claim(id: number): T | undefined {
    const ev = this.held.get(id);
    this.held.delete(id);
    return ev;
  }
}
