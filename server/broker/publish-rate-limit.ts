/**
 * A token bucket per device for the messages it publishes. A device may send `burst` messages
 * at once and `perSecond` on average; the broker disconnects a device that goes over (see
 * `createAuthorizePublish`). Buckets are kept by device id, not by connection, so a device
 * that reconnects at once does not come back with a full bucket.
 */

export interface PublishRateLimit {
  /** Average messages per second a device may publish. */
  perSecond: number;
  /** Messages a device may publish in one burst (the bucket's size). */
  burst: number;
}

interface Bucket {
  tokens: number;
  refilledAtMs: number;
}

export class PublishRateLimiter {
  private readonly bucketByDevice = new Map<string, Bucket>();

  constructor(
    readonly limit: PublishRateLimit,
    private readonly clock: () => number = Date.now,
  ) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new Error(`publish rate limit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}`);
    }
  }

  /** Takes one token for `deviceId`; false when its bucket is empty (the publish is over the limit). */
  take(deviceId: string): boolean {
    const bucket = this.refilled(deviceId);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /**
   * Forgets devices whose bucket has filled up again: they are indistinguishable from devices
   * never seen. Keeps the map to the devices that published recently.
   */
  prune(): number {
    let pruned = 0;
    for (const deviceId of [...this.bucketByDevice.keys()]) {
      if (this.refilled(deviceId).tokens >= this.limit.burst) {
        this.bucketByDevice.delete(deviceId);
        pruned++;
      }
    }
    return pruned;
  }

  /** Devices with a bucket in memory. */
  get size(): number {
    return this.bucketByDevice.size;
  }

  private refilled(deviceId: string): Bucket {
    const now = this.clock();
    let bucket = this.bucketByDevice.get(deviceId);
    if (!bucket) {
      bucket = { tokens: this.limit.burst, refilledAtMs: now };
      this.bucketByDevice.set(deviceId, bucket);
      return bucket;
    }
    // A clock stepping back must not mint tokens or take them away.
    const elapsedMs = Math.max(0, now - bucket.refilledAtMs);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (elapsedMs * this.limit.perSecond) / 1000);
    bucket.refilledAtMs = now;
    return bucket;
  }
}
