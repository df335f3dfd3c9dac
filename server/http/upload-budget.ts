/**
 * Bytes an upload may spool before its uploader is known: a file part that comes before any token
 * (the camp's clients send `data` first and `token` after it) is written to disk before anyone can
 * be refused or rate-limited for it. Such uploads share a small budget, in total and per client
 * address, each holding its expected size (its Content-Length, or the largest upload) until its
 * uploader is known or it ends; beyond the budget an upload is refused before a byte of its file
 * is read. Kept by each process for its own uploads.
 */
export class UploadBudget {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    readonly totalBytes: number,
    readonly perAddressBytes: number,
  ) {}

  /** Holds `bytes` for an upload from `address`; undefined when that would pass either limit. The result releases them (idempotent). */
  take(address: string, bytes: number): (() => void) | undefined {
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (this.total + bytes > this.totalBytes || fromAddress + bytes > this.perAddressBytes) return undefined;
    this.total += bytes;
    this.byAddress.set(address, fromAddress + bytes);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.total -= bytes;
      const left = this.byAddress.get(address)! - bytes;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    };
  }
}
