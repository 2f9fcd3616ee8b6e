// SHA-256 of large contents on another thread. A tar stream read by one Node thread hashes at
// best at the speed of one core (OpenSSL, ~1.7 GB/s here) while the tar that writes it waits on
// a full socket: reading a 2 GiB copy back took 2.2 s, of which 0.8 s the thread sat idle
// (node --cpu-prof). With the hashing here, the reading thread only copies each chunk into a
// batch and hands it on, and tar, reader and hasher run at once. The worker is inline code
// (the single-file build has no second file to start) and is shared by every reader of the run.
import { Worker } from "node:worker_threads";

const SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hashes = new Map();
parentPort.on("message", (m) => {
  let h = hashes.get(m.id);
  if (!h) { h = createHash("sha256"); hashes.set(m.id, h); }
  if (m.slot !== undefined) {
    h.update(new Uint8Array(m.buffer, 0, m.length));
    parentPort.postMessage({ id: m.id, done: m.length, slot: m.slot });
  } else {
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: h.digest("hex") });
  }
});
`;

/**
 * Bytes copied into one message to the worker, in buffers shared with it and used again: no
 * allocation per batch (transferred buffers piled up in the worker until its GC: 300 MiB RSS).
 */
const BATCH = 1024 * 1024;

interface Waiting {
  resolve: (hex: string) => void;
  reject: (error: Error) => void;
}

/** One hashing thread: contents by id, each a stream of updates then a digest. */
class HashThread {
  private readonly worker: Worker;
  private readonly digests = new Map<number, Waiting>();
  private readonly drains: (() => void)[] = [];
  private failure: Error | null = null;
  private readonly slots: SharedArrayBuffer[] = [];
  private readonly free: number[] = [];
  /** The slot being filled, or -1. */
  private slot = -1;
  private batch: Uint8Array | null = null;
  private batchId = -1;
  private filled = 0;
  /** Bytes handed to the worker and not hashed yet. */
  inFlight = 0;

  constructor() {
    this.worker = new Worker(SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (m: { id: number; done?: number; slot?: number; hex?: string }) => {
      if (m.done !== undefined) {
        this.inFlight -= m.done;
        this.free.push(m.slot as number);
        if (this.inFlight <= LIMIT / 2) for (const go of this.drains.splice(0)) go();
      } else if (m.hex !== undefined) {
        const waiting = this.digests.get(m.id);
        this.digests.delete(m.id);
        this.settle();
        waiting?.resolve(m.hex);
      }
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the hashing thread exited (code ${code})`)));
  }

  private fail(error: Error) {
    this.failure ??= error;
    const at = threads.indexOf(this);
    if (at >= 0) threads.splice(at, 1); // the next content starts a new thread
    for (const w of this.digests.values()) w.reject(this.failure);
    this.digests.clear();
    for (const go of this.drains.splice(0)) go();
    this.settle();
  }

  /** The worker keeps the process alive only while a digest is awaited. */
  private settle() {
    if (this.digests.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  private flush() {
    if (this.slot < 0 || this.filled === 0) return;
    const buffer = this.slots[this.slot];
    this.worker.postMessage({ id: this.batchId, slot: this.slot, buffer, length: this.filled });
    this.inFlight += this.filled;
    this.filled = 0;
    this.slot = -1;
    this.batch = null;
  }

  /** A free slot to fill; a new one when all are with the worker (the reader then waits: drained). */
  private take(): Uint8Array {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      this.slots.push(new SharedArrayBuffer(BATCH));
    }
    this.slot = slot;
    return new Uint8Array(this.slots[slot] as SharedArrayBuffer);
  }

  update(id: number, part: Uint8Array) {
    if (this.failure) throw this.failure;
    if (this.batchId !== id) {
      this.flush();
      this.batchId = id;
    }
    let at = 0;
    while (at < part.length) {
      this.batch ??= this.take();
      const n = Math.min(part.length - at, BATCH - this.filled);
      this.batch.set(part.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === BATCH) this.flush();
    }
  }

  digest(id: number): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.batchId === id) this.flush();
    return new Promise<string>((resolve, reject) => {
      this.digests.set(id, { resolve, reject });
      this.settle();
      this.worker.postMessage({ id });
    });
  }

  /** Resolves once the worker is behind by less than half the limit (at once if it is). */
  drained(): Promise<void> {
    if (this.inFlight <= LIMIT || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.drains.push(resolve));
  }
}

/** Bytes a reader may hand on before it waits for the worker: memory stays bounded. */
export const LIMIT = 8 * 1024 * 1024;

/** One thread for the run: a second one measured no faster on 2 cores and costs ~20 MiB. */
const threads: HashThread[] = [];
let nextId = 0;

/** One content hashed off the reading thread: update in order, then digest once. */
export interface RemoteHash {
  update(part: Uint8Array): void;
  digest(): Promise<string>;
  /** Resolves when the reader may go on (the worker has caught up enough). */
  drained(): Promise<void>;
}

/** A new content to hash, on the run's hashing thread. */
export function remoteHash(): RemoteHash {
  if (threads.length === 0) threads.push(new HashThread());
  const t = threads[0] as HashThread;
  const id = nextId++;
  return {
    update: (part) => t.update(id, part),
    digest: () => t.digest(id),
    drained: () => t.drained(),
  };
}
