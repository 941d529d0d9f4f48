/**
 * A Bloom filter over serialised state keys: the write-back cache adds every key it hands to a
 * LevelDB batch, so a cache miss whose key the filter has never seen is known absent without a
 * synchronous LevelDB read (new keys and new windows are the common miss). False positives only
 * cost the read the cache would have made anyway; there are no false negatives.
 *
 * The number of keys is not known in advance, so the filter grows in layers (a scalable Bloom
 * filter): each layer holds twice the keys of the one before at about 1 % false positives, and a
 * new layer starts when the newest is full. A fixed-size filter saturates instead: with 10 M keys
 * in 4 MiB, one new key in four cost a LevelDB read.
 */

/** Hash probes per key and layer. */
const PROBES = 4;
/** Bits per key of a layer at capacity (about 0.6 % false positives with 4 probes). */
const BITS_PER_KEY = 12;

/** One fixed-size layer. */
class Layer {
  readonly bits: Uint32Array;
  readonly mask: number;
  count = 0;

  constructor(readonly capacity: number) {
    let size = 1024;
    while (size * 8 < capacity * BITS_PER_KEY) size *= 2;
    this.bits = new Uint32Array(size / 4);
    this.mask = size * 8 - 1;
  }
}

/** A growing Bloom filter of byte strings. */
export class KeyBloomFilter {
  private readonly layers: Layer[] = [];
  private newest: Layer;
  private bytes = 0;

  /** `initialKeys`: keys the first layer holds before a second one starts. */
  constructor(initialKeys: number) {
    this.newest = this.addLayer(Math.max(1024, Math.floor(initialKeys)));
  }

  /** Memory of the bit arrays in bytes. */
  get memoryBytes(): number {
    return this.bytes;
  }

  /** Records `buf[0, end)`. */
  add(buf: Uint8Array, end: number): void {
    let layer = this.newest;
    if (layer.count >= layer.capacity) layer = this.newest = this.addLayer(layer.capacity * 2);
    layer.count++;
    hashKey(buf, end);
    let h1 = h1Out;
    const h2 = h2Out | 1;
    const { bits, mask } = layer;
    for (let i = 0; i < PROBES; i++) {
      const bit = h1 & mask;
      bits[bit >>> 5]! |= 1 << (bit & 31);
      h1 = (h1 + h2) | 0;
    }
  }

  /** False when `buf[0, end)` was certainly never added. */
  mightContain(buf: Uint8Array, end: number): boolean {
    hashKey(buf, end);
    const h1 = h1Out;
    const h2 = h2Out | 1;
    // Newest first: it holds the most keys.
    outer: for (let l = this.layers.length - 1; l >= 0; l--) {
      const { bits, mask } = this.layers[l]!;
      let h = h1;
      for (let i = 0; i < PROBES; i++) {
        const bit = h & mask;
        if ((bits[bit >>> 5]! & (1 << (bit & 31))) === 0) continue outer;
        h = (h + h2) | 0;
      }
      return true;
    }
    return false;
  }

  private addLayer(capacity: number): Layer {
    const layer = new Layer(capacity);
    this.layers.push(layer);
    this.bytes += layer.bits.byteLength;
    return layer;
  }
}

/** The two hashes of the last {@link hashKey} (module fields: no allocation per key). */
let h1Out = 0;
let h2Out = 0;

/**
 * Two independent 32-bit hashes of `buf[0, end)` in one pass: FNV-1a, and a multiplicative hash
 * with the murmur3 finaliser.
 */
function hashKey(buf: Uint8Array, end: number): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ end;
  for (let i = 0; i < end; i++) {
    const c = buf[i]!;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  b = Math.imul(b ^ (b >>> 16), 0x85ebca6b);
  h1Out = a ^ (a >>> 15);
  h2Out = b ^ (b >>> 13);
}
