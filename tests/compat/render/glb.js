"use strict";
// Binary glTF 2.0 (.glb) of exported meshes: one glTF mesh per exported mesh, one material per
// colour, positions in float32 relative to the scene centre (the node moves them back), Z-up
// turned Y-up as glTF wants.

const FLOAT = 5126, UNSIGNED_INT = 5125;
const ARRAY_BUFFER = 34962, ELEMENT_ARRAY_BUFFER = 34963;

/** (x, y, z) of a Z-up world as glTF's Y-up (x, z, -y). */
const yUp = (x, y, z) => [x, z, -y];

/**
 * meshes: [{ color: {r, g, b, t}, points: xyz…, normals?: xyz…, indices }]; center: [x, y, z].
 * Returns the .glb bytes.
 */
function encodeGlb(meshes, center) {
  const gltf = {
    asset: { version: "2.0", generator: "itwin-host tests/compat/render.js" },
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [{ translation: yUp(...center), children: [] }],
    meshes: [],
    materials: [],
    accessors: [],
    bufferViews: [],
    buffers: [],
  };
  const pieces = [];
  let byteLength = 0;
  const addView = (bytes, target) => {
    gltf.bufferViews.push({ buffer: 0, byteOffset: byteLength, byteLength: bytes.byteLength, target });
    pieces.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    byteLength += bytes.byteLength; // float32 and uint32 data keep 4-byte alignment
    return gltf.bufferViews.length - 1;
  };
  const materialOf = new Map();
  const material = ({ r, g, b, t }) => {
    const key = `${r},${g},${b},${t}`;
    if (!materialOf.has(key)) {
      const alpha = 1 - t / 255;
      gltf.materials.push({
        pbrMetallicRoughness: { baseColorFactor: [r / 255, g / 255, b / 255, alpha], metallicFactor: 0, roughnessFactor: 0.8 },
        alphaMode: alpha < 1 ? "BLEND" : "OPAQUE",
        doubleSided: true,
      });
      materialOf.set(key, gltf.materials.length - 1);
    }
    return materialOf.get(key);
  };

  for (const mesh of meshes) {
    if (mesh.indices.length < 3) continue;
    const count = mesh.points.length / 3;
    const positions = new Float32Array(count * 3);
    const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < count; i++) {
      const p = yUp(mesh.points[3 * i] - center[0], mesh.points[3 * i + 1] - center[1], mesh.points[3 * i + 2] - center[2]);
      for (let k = 0; k < 3; k++) {
        positions[3 * i + k] = p[k];
        min[k] = Math.min(min[k], positions[3 * i + k]);
        max[k] = Math.max(max[k], positions[3 * i + k]);
      }
    }
    const attributes = {};
    gltf.accessors.push({ bufferView: addView(positions, ARRAY_BUFFER), componentType: FLOAT, count, type: "VEC3", min, max });
    attributes.POSITION = gltf.accessors.length - 1;
    if (mesh.normals && mesh.normals.length === positions.length) {
      const normals = new Float32Array(count * 3);
      for (let i = 0; i < count; i++) normals.set(yUp(mesh.normals[3 * i], mesh.normals[3 * i + 1], mesh.normals[3 * i + 2]), 3 * i);
      gltf.accessors.push({ bufferView: addView(normals, ARRAY_BUFFER), componentType: FLOAT, count, type: "VEC3" });
      attributes.NORMAL = gltf.accessors.length - 1;
    }
    const indices = Uint32Array.from(mesh.indices);
    gltf.accessors.push({ bufferView: addView(indices, ELEMENT_ARRAY_BUFFER), componentType: UNSIGNED_INT, count: indices.length, type: "SCALAR" });
    gltf.meshes.push({ primitives: [{ attributes, indices: gltf.accessors.length - 1, material: material(mesh.color) }] });
    gltf.nodes.push({ mesh: gltf.meshes.length - 1 });
    gltf.nodes[0].children.push(gltf.nodes.length - 1);
  }
  gltf.buffers.push({ byteLength });
  // glTF allows no empty arrays and no empty buffer.
  if (byteLength === 0) {
    for (const key of ["meshes", "materials", "accessors", "bufferViews", "buffers"]) delete gltf[key];
    delete gltf.nodes[0].children;
  }

  const json = padded(Buffer.from(JSON.stringify(gltf)), 0x20);
  const chunks = [chunkHeader(json.length, 0x4e4f534a /* JSON */), json];
  if (byteLength > 0) {
    const bin = padded(Buffer.concat(pieces), 0);
    chunks.push(chunkHeader(bin.length, 0x004e4942 /* BIN */), bin);
  }
  const header = Buffer.alloc(12);
  header.writeUInt32LE(0x46546c67, 0); // "glTF"
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(12 + chunks.reduce((n, c) => n + c.length, 0), 8);
  return Buffer.concat([header, ...chunks]);
}

function padded(bytes, fill) {
  const extra = (4 - (bytes.length % 4)) % 4;
  return extra ? Buffer.concat([bytes, Buffer.alloc(extra, fill)]) : bytes;
}

function chunkHeader(length, type) {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(length, 0);
  out.writeUInt32LE(type, 4);
  return out;
}

module.exports = { encodeGlb };
