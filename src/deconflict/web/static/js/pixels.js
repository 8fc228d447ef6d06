// Many tracks at once: markers and whiskers written straight into a pixel buffer, then
// composited over the map in one drawImage. Canvas paths with thousands of small filled
// shapes are slow in software rendering (a 10,000-triangle path takes hundreds of ms);
// this takes a few ms for 10,000 tracks.

const BUCKETS = 32;

/** RGBA (0–255) as the little-endian 32-bit word an ImageData buffer holds. */
export function rgba(r, g, b, a) {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Pixel offsets (dx, dy pairs) of a triangle pointing along each of BUCKETS headings:
 * tip `size` px ahead of the centre, base 0.6 × size behind, half-width 0.55 × size.
 */
export function stamps(size) {
  const out = [];
  const reach = Math.ceil(size) + 1;
  for (let b = 0; b < BUCKETS; b++) {
    const a = (b * 2 * Math.PI) / BUCKETS;
    const s = Math.sin(a);
    const c = Math.cos(a);
    const p = [
      [s * size, -c * size],
      [-s * size * 0.6 + c * size * 0.55, c * size * 0.6 + s * size * 0.55],
      [-s * size * 0.6 - c * size * 0.55, c * size * 0.6 - s * size * 0.55],
    ];
    const inside = (x, y) => {
      const d = (i, j) =>
        (p[j][0] - p[i][0]) * (y - p[i][1]) - (p[j][1] - p[i][1]) * (x - p[i][0]);
      const d0 = d(0, 1);
      const d1 = d(1, 2);
      const d2 = d(2, 0);
      return (d0 >= 0 && d1 >= 0 && d2 >= 0) || (d0 <= 0 && d1 <= 0 && d2 <= 0);
    };
    const offs = [];
    for (let y = -reach; y <= reach; y++) {
      for (let x = -reach; x <= reach; x++) {
        if (inside(x, y)) offs.push(x, y);
      }
    }
    out.push(Int16Array.from(offs));
  }
  return out;
}

/** Clip the segment to [0, w) × [0, h): [t0, t1] of its parameter, or null (Liang–Barsky). */
function clip(x0, y0, dx, dy, w, h) {
  let t0 = 0;
  let t1 = 1;
  const edges = [
    [-dx, x0],
    [dx, w - 1 - x0],
    [-dy, y0],
    [dy, h - 1 - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return null;
    } else {
      const r = q / p;
      if (p < 0) {
        if (r > t1) return null;
        if (r > t0) t0 = r;
      } else {
        if (r < t0) return null;
        if (r < t1) t1 = r;
      }
    }
  }
  return [t0, t1];
}

export class PixelLayer {
  constructor() {
    this.canvas = document.createElement("canvas");
    this.ctx = this.canvas.getContext("2d");
    this.image = null;
    this.buf = null;
    this.stampSize = 0;
    this.stamps = [];
  }

  /**
   * Draw `k` tracks: positions (xs, ys) and whisker ends (x2s, y2s) in CSS px, headings
   * in degrees, onto `ctx` (whose device pixels are `dpr` per CSS px).
   */
  draw(ctx, dpr, width, height, k, xs, ys, x2s, y2s, headings, colour, whiskerColour, size) {
    const W = Math.round(width * dpr);
    const H = Math.round(height * dpr);
    if (!this.image || this.image.width !== W || this.image.height !== H) {
      this.canvas.width = W;
      this.canvas.height = H;
      this.image = this.ctx.createImageData(W, H);
      this.buf = new Uint32Array(this.image.data.buffer);
    }
    const px = size * dpr;
    if (px !== this.stampSize) {
      this.stamps = stamps(px);
      this.stampSize = px;
    }
    const buf = this.buf;
    buf.fill(0);
    for (let j = 0; j < k; j++) {
      const x0 = xs[j] * dpr;
      const y0 = ys[j] * dpr;
      const dx = x2s[j] * dpr - x0;
      const dy = y2s[j] * dpr - y0;
      const span = clip(x0, y0, dx, dy, W, H);
      if (!span) continue;
      const steps = Math.ceil(Math.max(Math.abs(dx), Math.abs(dy)) * (span[1] - span[0]));
      let x = x0 + dx * span[0];
      let y = y0 + dy * span[0];
      const sx = steps > 0 ? (dx * (span[1] - span[0])) / steps : 0;
      const sy = steps > 0 ? (dy * (span[1] - span[0])) / steps : 0;
      for (let s = 0; s <= steps; s++) {
        buf[(y | 0) * W + (x | 0)] = whiskerColour;
        x += sx;
        y += sy;
      }
    }
    for (let j = 0; j < k; j++) {
      const cx = Math.round(xs[j] * dpr);
      const cy = Math.round(ys[j] * dpr);
      const b = Math.round((((headings[j] % 360) + 360) % 360) / (360 / BUCKETS)) % BUCKETS;
      const offs = this.stamps[b];
      for (let i = 0; i < offs.length; i += 2) {
        const x = cx + offs[i];
        const y = cy + offs[i + 1];
        if (x >= 0 && y >= 0 && x < W && y < H) buf[y * W + x] = colour;
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.canvas, 0, 0);
    ctx.restore();
  }
}
