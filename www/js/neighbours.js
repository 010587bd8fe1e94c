// Nearest real neighbours: a sample's nearest training images in the classifier's feature space, and how
// near that is against real test images' nearest (novel, or as near as a copy).
import { memo } from './async.js';
import { classify } from './classifier.js';
import { engineCall } from './engine.js';
import { datasetOf } from './vocab.js';
import { fetchBytes, referenceFeatures } from './weights.js';

/// The dataset's training-image atlas, with `typical`: each real test image's distance to its nearest
/// atlas image (the scoreboard's reference images), sorted — what a sample's distance is read against.
/// How many neighbours a sample shows, unless asked for another count.
export const NEIGHBOURS = 3;

const atlas = memo(async (dataset) => {
  const names = datasetOf(dataset);
  const [pixels, featureBytes, reference] = await Promise.all([fetchBytes(`models/${names.atlas}`), fetchBytes(`models/${names.atlasFeatures}`), referenceFeatures(dataset)]);
  const features = new Float32Array(featureBytes.buffer);
  const dim = features.length / (pixels.length / 784);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`models/${names.atlasFeatures} does not match models/${names.atlas}`);
  const { out } = await engineCall([], (w) => w.nearest(features, reference, dim, 1));
  return { pixels, features, dim, typical: Float32Array.from(out.distances).sort() };
});

/// For each of n images (n·784 gray bytes): its `k` nearest training images, nearest first — `{index,
/// distance, pixels}` — and `nearerThan`: the share of real test images whose nearest training image is
/// nearer than this image's is (near 0: as near as a copy; around 0.5: as novel as real data).
export async function neighbours(dataset, images, k) {
  const [a, reading] = await Promise.all([atlas(dataset), classify(dataset, images)]);
  const { out } = await engineCall([], (w) => w.nearest(a.features, reading.features, a.dim, k));
  const n = images.length / 784;
  return Array.from({ length: n }, (_, q) => {
    const found = Array.from({ length: k }, (_, j) => {
      const index = out.indices[q * k + j];
      return { index, distance: out.distances[q * k + j], pixels: a.pixels.slice(index * 784, (index + 1) * 784) };
    });
    const nearerThan = a.typical.filter((d) => d < found[0].distance).length / a.typical.length;
    return { neighbours: found, nearerThan };
  });
}
