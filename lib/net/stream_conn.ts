/**
 * What a stream handler is given: one client's connection, through whatever layer the server
 * runs (plain TCP, TLS), with the server's deadlines and backpressure already on it.
 *
 * @module
 */

/** What a TLS handshake settled, as the server saw it. */
export interface TlsInfo {
  /** The protocol version (`TLSv1.3`), when the runtime reports it. */
  readonly version?: string | undefined;
  /** The ALPN protocol chosen, if any (peer input: escape it before showing it). */
  readonly alpn?: string | undefined;
  /**
   * The client certificate's subject with mutual TLS (`CN=alice, O=Example`), its values
   * escaped as RFC 4514 escapes them (`O=x\, CN\=admin`: a value cannot pass for another
   * attribute). Peer input: escape it before showing it (control characters are as sent).
   */
  readonly peerSubject?: string | undefined;
}

/**
 * One client's connection as a handler sees it, shaped like `Deno.Conn`. Every read waits
 * under the server's idle deadline and every write under its write deadline: a client that
 * stalls is dropped (the pending call rejects) and its slot freed. A write resolves once the
 * bytes are on their way to the peer, not merely queued, so a client that does not read
 * holds back its writer instead of filling memory.
 */
export interface StreamConn {
  /** Our end of the connection. */
  readonly localAddr: Deno.Addr;
  /** The client's end. */
  readonly remoteAddr: Deno.Addr;
  /**
   * With a TLS layer: what its handshake settled.
   * @default {undefined} (plain TCP)
   */
  readonly tls?: TlsInfo | undefined;
  /**
   * Reads what the client sent into `p`.
   *
   * @param p Where the bytes go.
   * @returns How many bytes were read, or null once the client ended its side.
   * @throws {Deno.errors.TimedOut} When the idle deadline passed (the connection is closed;
   * the message says so: `idle deadline: nothing received for 500ms`). A
   * `StreamReader` wraps it in a `NetError` whose `timeout` is true.
   * @throws {Deno.errors.Interrupted} When the server stopped and its drain ended (a cancel,
   * not a deadline).
   */
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Writes all of `p`, in order with other writes on this connection.
   *
   * @param p The bytes to send.
   * @returns `p.length`, once written.
   * @throws {Deno.errors.TimedOut} When the write deadline passed (the connection is closed;
   * `write deadline: the client took no write for 500ms`).
   * @throws {Deno.errors.Interrupted} When the server stopped and its drain ended.
   */
  write(p: Uint8Array): Promise<number>;
  /**
   * Ends our side cleanly (TLS: `close_notify`, then FIN), after pending writes; reading
   * goes on.
   *
   * @returns Once sent.
   */
  closeWrite(): Promise<void>;
  /** Closes the connection at once; the server does it anyway when the handler returns. */
  close(): void;
}

/**
 * Serves one client: read and write `conn` until done. When it returns (or throws) the
 * server ends the connection and frees its slot; a throw counts the client as failed.
 *
 * @param conn The client's connection.
 * @param peer The client's address (`conn.remoteAddr`).
 */
export type StreamHandler = (conn: StreamConn, peer: Deno.Addr) => Promise<void> | void;
