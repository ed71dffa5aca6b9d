"use strict";
// A small software renderer: orthographic isometric-ish view framing the geometry, z-buffer,
// flat Lambert shading from triangle normals, thin dark outlines where elements, depths or
// facet directions change, transparent triangles blended after the opaque ones, linework on
// top. Renders at `supersample`× the size and averages down (anti-aliasing).

/** Towards the viewer: from the south-east, above (an isometric view of a Z-up world). */
const EYE = normalize([1, -1, 1]);
/** Towards the light: so that the three visible faces of a box get three different shades. */
const LIGHT = normalize([0.5, -1, 1.6]);
const AMBIENT = 0.3;
const BACKGROUND = [255, 255, 255];
const OUTLINE = [40, 40, 40];
/** Facets meeting at a sharper angle than this get an outline (crease). */
const CREASE_COS = Math.cos((35 * Math.PI) / 180);

function normalize(v) {
  const l = Math.hypot(v[0], v[1], v[2]);
  return l > 0 ? [v[0] / l, v[1] / l, v[2] / l] : [0, 0, 0];
}

function cross(a, b) {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Screen axes of the view: right, up (both ⟂ EYE), and EYE as depth (larger is nearer). */
function viewAxes() {
  let right = normalize(cross([-EYE[0], -EYE[1], -EYE[2]], [0, 0, 1]));
  if (dot(right, right) === 0) right = [1, 0, 0];
  const up = normalize(cross(right, [-EYE[0], -EYE[1], -EYE[2]]));
  return { right, up, depth: EYE };
}

/** The range of every point of the meshes and lines, or undefined when there are none. */
function sceneRange(meshes, lines) {
  const low = [Infinity, Infinity, Infinity], high = [-Infinity, -Infinity, -Infinity];
  for (const { points } of [...meshes, ...lines]) {
    for (let i = 0; i < points.length; i += 3) {
      for (let k = 0; k < 3; k++) {
        low[k] = Math.min(low[k], points[i + k]);
        high[k] = Math.max(high[k], points[i + k]);
      }
    }
  }
  return low[0] <= high[0] ? { low, high } : undefined;
}

/** World to pixel (x right, y down) and depth, framing every point with a margin. */
function camera(meshes, lines, width, height) {
  const axes = viewAxes();
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const { points } of [...meshes, ...lines]) {
    for (let i = 0; i < points.length; i += 3) {
      const p = [points[i], points[i + 1], points[i + 2]];
      const s = [dot(p, axes.right), dot(p, axes.up), dot(p, axes.depth)];
      for (let k = 0; k < 3; k++) {
        lo[k] = Math.min(lo[k], s[k]);
        hi[k] = Math.max(hi[k], s[k]);
      }
    }
  }
  const margin = 0.06;
  const spanX = Math.max(hi[0] - lo[0], 1e-9), spanY = Math.max(hi[1] - lo[1], 1e-9);
  const scale = Math.min((width * (1 - 2 * margin)) / spanX, (height * (1 - 2 * margin)) / spanY);
  const cx = (lo[0] + hi[0]) / 2, cy = (lo[1] + hi[1]) / 2;
  return {
    depthSpan: Math.max(hi[2] - lo[2], spanX, spanY),
    project(x, y, z, out) {
      const p = [x, y, z];
      out[0] = width / 2 + (dot(p, axes.right) - cx) * scale;
      out[1] = height / 2 - (dot(p, axes.up) - cy) * scale;
      out[2] = dot(p, axes.depth);
      return out;
    },
  };
}

/** Pixel buffers at the supersampled size. */
function buffers(width, height) {
  const n = width * height;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) rgb.set(BACKGROUND, i * 3);
  return {
    width,
    height,
    rgb,
    depth: new Float32Array(n).fill(-Infinity),
    element: new Int32Array(n).fill(-1),
    normal: new Float32Array(n * 3),
  };
}

/** The facet normal of a triangle, turned towards the viewer (meshes may be single-sided). */
function facetNormal(p, a, b, c) {
  const u = [p[b] - p[a], p[b + 1] - p[a + 1], p[b + 2] - p[a + 2]];
  const v = [p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]];
  const n = normalize(cross(u, v));
  return dot(n, EYE) < 0 ? [-n[0], -n[1], -n[2]] : n;
}

/**
 * Fills one triangle: for each covered pixel centre whose interpolated depth is nearer than
 * the buffer's, `paint(pixel, depth)`.
 */
function fillTriangle(buf, a, b, c, paint) {
  const area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  if (Math.abs(area) < 1e-12) return;
  const minX = Math.max(0, Math.floor(Math.min(a[0], b[0], c[0])));
  const maxX = Math.min(buf.width - 1, Math.ceil(Math.max(a[0], b[0], c[0])));
  const minY = Math.max(0, Math.floor(Math.min(a[1], b[1], c[1])));
  const maxY = Math.min(buf.height - 1, Math.ceil(Math.max(a[1], b[1], c[1])));
  const inv = 1 / area;
  for (let y = minY; y <= maxY; y++) {
    const py = y + 0.5;
    for (let x = minX; x <= maxX; x++) {
      const px = x + 0.5;
      const w0 = ((c[0] - b[0]) * (py - b[1]) - (c[1] - b[1]) * (px - b[0])) * inv;
      const w1 = ((a[0] - c[0]) * (py - c[1]) - (a[1] - c[1]) * (px - c[0])) * inv;
      const w2 = 1 - w0 - w1;
      if (w0 < 0 || w1 < 0 || w2 < 0) continue;
      const d = w0 * a[2] + w1 * b[2] + w2 * c[2];
      const pixel = y * buf.width + x;
      if (d > buf.depth[pixel]) paint(pixel, d);
    }
  }
}

function shade(color, n) {
  const light = AMBIENT + (1 - AMBIENT) * Math.max(0, dot(n, LIGHT));
  return [color.r * light, color.g * light, color.b * light];
}

/** Every triangle of `meshes`, calling `each(mesh, a, b, c)` with projected corners. */
function forEachTriangle(meshes, cam, each) {
  const a = [0, 0, 0], b = [0, 0, 0], c = [0, 0, 0];
  for (const mesh of meshes) {
    const { points: p, indices } = mesh;
    for (let i = 0; i + 2 < indices.length; i += 3) {
      const ia = 3 * indices[i], ib = 3 * indices[i + 1], ic = 3 * indices[i + 2];
      cam.project(p[ia], p[ia + 1], p[ia + 2], a);
      cam.project(p[ib], p[ib + 1], p[ib + 2], b);
      cam.project(p[ic], p[ic + 1], p[ic + 2], c);
      each(mesh, ia, ib, ic, a, b, c);
    }
  }
}

function drawOpaque(buf, meshes, cam) {
  forEachTriangle(meshes, cam, (mesh, ia, ib, ic, a, b, c) => {
    const n = facetNormal(mesh.points, ia, ib, ic);
    const rgb = shade(mesh.color, n);
    fillTriangle(buf, a, b, c, (pixel, d) => {
      buf.depth[pixel] = d;
      buf.element[pixel] = mesh.element;
      buf.rgb.set(rgb, pixel * 3);
      buf.normal.set(n, pixel * 3);
    });
  });
}

/** Transparent triangles back to front, blended over what is nearer-or-equal, depth kept. */
function drawTransparent(buf, meshes, cam) {
  const triangles = [];
  forEachTriangle(meshes, cam, (mesh, ia, ib, ic, a, b, c) => {
    triangles.push({ mesh, n: facetNormal(mesh.points, ia, ib, ic), a: [...a], b: [...b], c: [...c], depth: a[2] + b[2] + c[2] });
  });
  triangles.sort((x, y) => x.depth - y.depth);
  for (const { mesh, n, a, b, c } of triangles) {
    const rgb = shade(mesh.color, n);
    const alpha = 1 - mesh.color.t / 255;
    fillTriangle(buf, a, b, c, (pixel) => {
      for (let k = 0; k < 3; k++) buf.rgb[pixel * 3 + k] = alpha * rgb[k] + (1 - alpha) * buf.rgb[pixel * 3 + k];
    });
  }
}

/** Outlines where the element changes, the depth jumps or facets meet at a crease. */
function drawOutlines(buf, depthTolerance) {
  const { width, height, element, depth, normal, rgb } = buf;
  const edge = new Uint8Array(width * height);
  const differs = (p, q) => {
    if (element[p] !== element[q]) return true;
    if (element[p] < 0) return false;
    if (Math.abs(depth[p] - depth[q]) > depthTolerance) return true;
    const cos = normal[3 * p] * normal[3 * q] + normal[3 * p + 1] * normal[3 * q + 1] + normal[3 * p + 2] * normal[3 * q + 2];
    return cos < CREASE_COS;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if ((x + 1 < width && differs(p, p + 1)) || (y + 1 < height && differs(p, p + width))) edge[p] = 1;
    }
  }
  for (let p = 0; p < edge.length; p++) if (edge[p]) rgb.set(OUTLINE, p * 3);
}

/** Linework: segments stepped pixel by pixel, `thickness` pixels wide, depth-tested with a bias. */
function drawLines(buf, lines, cam, thickness, bias) {
  const a = [0, 0, 0], b = [0, 0, 0];
  for (const line of lines) {
    const { points: p, indices } = line;
    const rgb = [line.color.r * 0.8, line.color.g * 0.8, line.color.b * 0.8];
    for (let i = 0; i + 1 < indices.length; i += 2) {
      cam.project(p[3 * indices[i]], p[3 * indices[i] + 1], p[3 * indices[i] + 2], a);
      cam.project(p[3 * indices[i + 1]], p[3 * indices[i + 1] + 1], p[3 * indices[i + 1] + 2], b);
      const steps = Math.max(1, Math.ceil(Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]))));
      for (let s = 0; s <= steps; s++) {
        const t = s / steps;
        const x = a[0] + t * (b[0] - a[0]), y = a[1] + t * (b[1] - a[1]), d = a[2] + t * (b[2] - a[2]);
        for (let dy = 0; dy < thickness; dy++) {
          for (let dx = 0; dx < thickness; dx++) {
            const px = Math.floor(x - thickness / 2 + dx + 0.5), py = Math.floor(y - thickness / 2 + dy + 0.5);
            if (px < 0 || py < 0 || px >= buf.width || py >= buf.height) continue;
            const pixel = py * buf.width + px;
            if (d + bias < buf.depth[pixel]) continue;
            buf.rgb.set(rgb, pixel * 3);
          }
        }
      }
    }
  }
}

/** Averages `factor` × `factor` blocks into 8-bit RGB. */
function downsample(buf, factor) {
  const width = buf.width / factor, height = buf.height / factor;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let sy = 0; sy < factor; sy++)
          for (let sx = 0; sx < factor; sx++) sum += buf.rgb[((y * factor + sy) * buf.width + x * factor + sx) * 3 + k];
        out[(y * width + x) * 3 + k] = Math.round(Math.min(255, Math.max(0, sum / (factor * factor))));
      }
    }
  }
  return out;
}

/**
 * Renders meshes ({ element: int, color: {r, g, b, t}, points: xyz…, indices: 3 per triangle })
 * and lines ({ element, color, points, indices: 2 per segment }) into width × height RGB bytes.
 */
function render(meshes, lines, { width, height, supersample = 3 }) {
  const buf = buffers(width * supersample, height * supersample);
  const range = sceneRange(meshes, lines);
  if (range) {
    const cam = camera(meshes, lines, buf.width, buf.height);
    drawOpaque(buf, meshes.filter((m) => m.color.t === 0), cam);
    drawOutlines(buf, cam.depthSpan * 0.02);
    drawTransparent(buf, meshes.filter((m) => m.color.t !== 0), cam);
    drawLines(buf, lines, cam, Math.max(1, Math.round(supersample * 1.5)), cam.depthSpan * 1e-3);
  }
  return { rgb: downsample(buf, supersample), width, height, range };
}

module.exports = { render, sceneRange };
