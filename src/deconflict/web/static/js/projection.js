// Spherical Mercator view: degrees <-> screen pixels, zoom and pan, the scale bar.
// Mercator metres are those of a sphere of radius R; true metres at latitude φ are
// Mercator metres × cos φ.

export const R = 6371008.8;
const D2R = Math.PI / 180;
const MAX_LAT = 85;

/** Mercator x (m) of a longitude in degrees. */
export function mx(lonDeg) {
  return R * lonDeg * D2R;
}

/** Mercator y (m) of a latitude in degrees (clamped to ±85°). */
export function my(latDeg) {
  const lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, latDeg)) * D2R;
  return R * Math.log(Math.tan(Math.PI / 4 + lat / 2));
}

/** Longitude (deg) of a Mercator x (m). */
export function lonOf(x) {
  return x / R / D2R;
}

/** Latitude (deg) of a Mercator y (m). */
export function latOf(y) {
  return (2 * Math.atan(Math.exp(y / R)) - Math.PI / 2) / D2R;
}

/** The view: a centre in Mercator metres and a scale in pixels per Mercator metre. */
export class View {
  constructor(width = 800, height = 600) {
    this.width = width;
    this.height = height;
    this.cx = mx(38.5);
    this.cy = my(35.0);
    this.scale = 1 / 1500; // px per Mercator metre
    this.version = 0; // bumped on every change (the base layer is redrawn then)
  }

  resize(width, height) {
    if (width !== this.width || height !== this.height) {
      this.width = width;
      this.height = height;
      this.version++;
    }
  }

  /** Screen x (px) of a Mercator x. */
  sx(x) {
    return (x - this.cx) * this.scale + this.width / 2;
  }

  /** Screen y (px) of a Mercator y. */
  sy(y) {
    return this.height / 2 - (y - this.cy) * this.scale;
  }

  /** [lon, lat] (deg) under a screen point. */
  lonLatAt(px, py) {
    const x = (px - this.width / 2) / this.scale + this.cx;
    const y = (this.height / 2 - py) / this.scale + this.cy;
    return [lonOf(x), latOf(y)];
  }

  /** The visible box in degrees: [west, south, east, north]. */
  bounds() {
    const [w, n] = this.lonLatAt(0, 0);
    const [e, s] = this.lonLatAt(this.width, this.height);
    return [w, s, e, n];
  }

  /** True metres per pixel at the centre of the view. */
  metresPerPixel() {
    return Math.cos(latOf(this.cy) * D2R) / this.scale;
  }

  panBy(dxPx, dyPx) {
    this.cx -= dxPx / this.scale;
    this.cy += dyPx / this.scale;
    this.version++;
  }

  /** Zoom by `factor` keeping the point under (px, py) in place. */
  zoomAt(factor, px, py) {
    const next = Math.max(1 / 200000, Math.min(1 / 2, this.scale * factor));
    const x = (px - this.width / 2) / this.scale + this.cx;
    const y = (this.height / 2 - py) / this.scale + this.cy;
    this.scale = next;
    this.cx = x - (px - this.width / 2) / next;
    this.cy = y - (this.height / 2 - py) / next;
    this.version++;
  }

  /** Show the box [west, south, east, north] (deg) with `padPx` around it. */
  fit(box, padPx = 40) {
    const [w, s, e, n] = box;
    const x0 = mx(w);
    const x1 = mx(e);
    const y0 = my(s);
    const y1 = my(n);
    const spanX = Math.max(x1 - x0, 2000);
    const spanY = Math.max(y1 - y0, 2000);
    const availW = Math.max(50, this.width - 2 * padPx);
    const availH = Math.max(50, this.height - 2 * padPx);
    this.scale = Math.min(availW / spanX, availH / spanY, 1 / 20);
    this.cx = (x0 + x1) / 2;
    this.cy = (y0 + y1) / 2;
    this.version++;
  }
}

/** A round length (m) whose bar is at most `maxPx` long, and its length in pixels. */
export function scaleBar(view, maxPx = 120) {
  const mpp = view.metresPerPixel();
  const most = mpp * maxPx;
  const pow = 10 ** Math.floor(Math.log10(most));
  let metres = pow;
  for (const step of [5, 2, 1]) {
    if (step * pow <= most) {
      metres = step * pow;
      break;
    }
  }
  return { metres, px: metres / mpp, label: metres >= 1000 ? `${metres / 1000} km` : `${metres} m` };
}

/** Graticule spacing (deg) so that lines are about 80–200 px apart. */
export function graticuleStep(view) {
  const degPerPx = 1 / (view.scale * R * D2R);
  const want = degPerPx * 120;
  for (const step of [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30]) {
    if (step >= want) return step;
  }
  return 30;
}
