#!/usr/bin/python3
"""Compares rotate_dump's output with scipy.ndimage.rotate.

usage: check_rotation.py IMAGES_IDX FIRST COUNT ANGLE OURS.raw [MAX_DIFF]

Reads images [FIRST, FIRST+COUNT) of the IDX file, rotates each as float with
scipy.ndimage.rotate(img, ANGLE, reshape=False, order=1, mode='constant',
cval=0), rounds to the nearest grey level and clips to 0..255, and compares
with OURS.raw (uint8 [COUNT, rows, cols]). Prints the largest difference and
the number of differing pixels; exits 1 if the largest difference exceeds
MAX_DIFF (default 1)."""
import sys

import numpy as np
from scipy import ndimage


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    path, first, count, angle, ours_path = sys.argv[1:6]
    first, count, angle = int(first), int(count), float(angle)
    max_diff = int(sys.argv[6]) if len(sys.argv) == 7 else 1
    with open(path, "rb") as f:
        header = np.frombuffer(f.read(16), dtype=">u4")
        if header[0] != 0x803:
            sys.exit(f"{path}: not an IDX images file")
        n, rows, cols = (int(v) for v in header[1:])
        if first + count > n:
            sys.exit(f"{path}: holds {n} images, {first + count} needed")
        f.seek(16 + first * rows * cols)
        images = np.frombuffer(f.read(count * rows * cols), dtype=np.uint8)
    images = images.reshape(count, rows, cols)
    with open(ours_path, "rb") as f:
        ours = np.frombuffer(f.read(), dtype=np.uint8)
    if ours.size != images.size:
        sys.exit(f"{ours_path}: {ours.size} bytes, expected {images.size}")
    ours = ours.reshape(count, rows, cols).astype(np.int32)
    worst = 0
    differing = 0
    worst_at = None
    for i in range(count):
        ref = ndimage.rotate(images[i].astype(np.float64), angle, reshape=False, order=1,
                             mode="constant", cval=0.0)
        ref = np.clip(np.rint(ref), 0, 255).astype(np.int32)
        d = np.abs(ref - ours[i])
        differing += int(np.count_nonzero(d))
        if d.max() > worst:
            worst = int(d.max())
            worst_at = (first + i,) + np.unravel_index(int(d.argmax()), d.shape)
    print(f"angle {angle:g}: {count} images, max difference {worst} grey levels, "
          f"{differing} of {images.size} pixels differ"
          + (f" (worst at image {worst_at[0]}, row {worst_at[1]}, col {worst_at[2]})"
             if worst_at else ""))
    return 1 if worst > max_diff else 0


if __name__ == "__main__":
    sys.exit(main())
