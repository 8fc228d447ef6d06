// The party's own tracks drawn without OpenLayers features: a triangle along each track
// and its 2-minute whisker, dead-reckoned to the frame's now, written onto the own
// layer's canvas on its postrender. Up to PIXELS_FROM on the canvas as paths, more into
// a pixel buffer (pixels.js).

import { PixelLayer, rgba } from "./pixels.js";
import { D2R, OWN, WHISKER_S } from "./styles.js";

const OWN_PIXEL = rgba(0x1b, 0x4f, 0x9c, 255);
const WHISKER_PIXEL = rgba(0x1b, 0x4f, 0x9c, 150);
/** From this many own tracks on the canvas, they are drawn into a pixel buffer. */
export const PIXELS_FROM = 1000;

export class OwnTracks {
  constructor() {
    this.pixels = new PixelLayer();
    this.vis = null;
  }

  /**
   * Draw every own track's triangle and whisker straight onto the own layer's canvas
   * after it renders (`event`: its `postrender`), each track dead-reckoned to the
   * frame's now; those whose triangle and whisker are both off the canvas are skipped.
   * No feature per track and no spatial index: up to PIXELS_FROM on the canvas as paths
   * (one for the whiskers, one per 25 triangles), more into a pixel buffer composited in
   * one drawImage (pixels.js), since a path of thousands of triangles takes hundreds of
   * ms in software rendering. Triangles are 7 px (paths) or 4 px (pixel buffer) from
   * centre to tip, in CSS px.
   *
   * @param event the layer's postrender event (its canvas context and frame state)
   * @param tr the own tracks (State's arrays: x0, y0 and vx, vy in Mercator metres and
   *   m/s, t in ms, trk in degrees; n of them)
   * @param now the frame's now on the service's clock (ms)
   * @returns how many were drawn (on the canvas or their whisker crossing it)
   */
  draw(event, tr, now) {
    const ctx = event.context;
    if (!tr.n || !ctx) return 0;
    const m = event.frameState.coordinateToPixelTransform;
    const p = event.inversePixelTransform;
    // Mercator metres -> canvas pixels: p (CSS px -> canvas px) after m (map -> CSS px)
    const a = p[0] * m[0] + p[2] * m[1];
    const b = p[1] * m[0] + p[3] * m[1];
    const c = p[0] * m[2] + p[2] * m[3];
    const d = p[1] * m[2] + p[3] * m[3];
    const e = p[0] * m[4] + p[2] * m[5] + p[4];
    const f = p[1] * m[4] + p[3] * m[5] + p[5];
    const ratio = Math.abs(p[0]) || 1;
    const W = ctx.canvas.width;
    const H = ctx.canvas.height;
    const margin = 10 * ratio;
    if (!this.vis || this.vis.x.length < tr.n) {
      const n = tr.n;
      this.vis = {
        x: new Float64Array(n),
        y: new Float64Array(n),
        x2: new Float64Array(n),
        y2: new Float64Array(n),
        trk: new Float64Array(n),
      };
    }
    const v = this.vis;
    let k = 0;
    for (let i = 0; i < tr.n; i++) {
      const dt = Math.max(0, (now - tr.t[i]) / 1000);
      const x = tr.x0[i] + tr.vx[i] * dt;
      const y = tr.y0[i] + tr.vy[i] * dt;
      const x1 = x + tr.vx[i] * WHISKER_S;
      const y1 = y + tr.vy[i] * WHISKER_S;
      const px0 = a * x + c * y + e;
      const py0 = b * x + d * y + f;
      const px1 = a * x1 + c * y1 + e;
      const py1 = b * x1 + d * y1 + f;
      if ((px0 < -margin && px1 < -margin) || (px0 > W + margin && px1 > W + margin)) continue;
      if ((py0 < -margin && py1 < -margin) || (py0 > H + margin && py1 > H + margin)) continue;
      v.x[k] = px0;
      v.y[k] = py0;
      v.x2[k] = px1;
      v.y2[k] = py1;
      v.trk[k] = tr.trk[i];
      k++;
    }
    ctx.save();
    if (k > PIXELS_FROM) {
      const size = 4 * ratio;
      const { x, y, x2, y2, trk } = v;
      this.pixels.draw(ctx, 1, W, H, k, x, y, x2, y2, trk, OWN_PIXEL, WHISKER_PIXEL, size);
    } else {
      ctx.beginPath();
      for (let j = 0; j < k; j++) {
        ctx.moveTo(v.x[j], v.y[j]);
        ctx.lineTo(v.x2[j], v.y2[j]);
      }
      ctx.strokeStyle = "rgba(27, 79, 156, 0.55)";
      ctx.lineWidth = ratio;
      ctx.stroke();
      ctx.fillStyle = OWN;
      const r = 7 * ratio;
      const third = (2 * Math.PI) / 3;
      for (let j0 = 0; j0 < k; j0 += 25) {
        ctx.beginPath();
        for (let j = j0; j < Math.min(k, j0 + 25); j++) {
          // a triangle pointing along the track (clockwise from north; canvas y is down)
          const q = Math.round(v.trk[j]) * D2R;
          const x = v.x[j];
          const y = v.y[j];
          ctx.moveTo(x + r * Math.sin(q), y - r * Math.cos(q));
          ctx.lineTo(x + r * Math.sin(q + third), y - r * Math.cos(q + third));
          ctx.lineTo(x + r * Math.sin(q - third), y - r * Math.cos(q - third));
          ctx.closePath();
        }
        ctx.fill();
      }
    }
    ctx.restore();
    return k;
  }
}
