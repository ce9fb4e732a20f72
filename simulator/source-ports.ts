/**
 * Hands out local source ports in turn, for fleets of more than ~14 000 connections from one
 * address to one server port: past that, Linux's search for a free source port makes every
 * connect slower; naming the port skips the search. The range should hold at least twice the
 * fleet, so a port is not handed out again while its last connection may linger in TIME_WAIT.
 * A port that is taken anyway fails that one connect, and the transport retries with the next.
 */
export class SourcePortAllocator {
  private next: number;

  constructor(
    readonly first: number,
    readonly last: number,
  ) {
    if (!(first >= 1024 && last <= 65535 && first < last)) {
      throw new Error(`invalid source port range ${first}-${last}`);
    }
    this.next = first;
  }

  take(): number {
    const port = this.next;
    this.next = port >= this.last ? this.first : port + 1;
    return port;
  }
}
