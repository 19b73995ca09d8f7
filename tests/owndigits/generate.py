#!/usr/bin/python3
"""Digits as people really make them: an evaluation set for `nnmpi query`.

  generate.py --out DIR --count N --seed S [--split dev|heldout] [--montage PNG]

writes N PNGs named NNNNN-CATEGORY-LABEL.png and DIR/labels.csv
(file,label,category). Ten categories in equal shares (image i is category
i mod 10, digit (i div 10) mod 10):

  clean     dark pen on white            grain    photographed paper: grey,
  shadow    uneven light across the page          noise, blur, JPEG blocks
  chalk     light strokes on a dark board broken   the pen skipped: gaps
  thin      a 1-3 px pen on 200-400 px    thick    a marker on 28-64 px
  font      printed digits, many faces    wobbly   jitter, slant, +-20 deg
  coloured  coloured ink/paper, ruled or squared paper

A digit is either pen strokes (polylines below, several shapes per digit,
randomly perturbed) or a font glyph (distorted). Canvases are 28x28 to
400x400; files are 8-bit grey, RGB, RGBA (opaque), palette or 16-bit grey.

Each image depends only on (seed, split, its index): the first N of a larger
set are the N of a smaller one. The two splits use disjoint font families
(and, by convention, different seeds: measure.sh uses heldout with seed
1013), so a change tuned on dev is judged on faces it has never seen.
Needs python3-pil, python3-numpy and the fonts listed in jobs/install-deps.sh.
"""
import argparse
import csv
import glob
import io
import math
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CATEGORIES = ["clean", "grain", "shadow", "chalk", "broken",
              "thin", "thick", "font", "wobbly", "coloured"]

# font families per split: disjoint, each with handwriting-like faces
_U = "/usr/share/fonts/opentype/urw-base35/"
FONTS = {
    "dev": ["/usr/share/fonts/truetype/dejavu/DejaVu*.ttf",
            "/usr/share/fonts/truetype/freefont/Free*.ttf",
            _U + "NimbusSans-*.otf", _U + "NimbusRoman-*.otf", _U + "NimbusMonoPS-*.otf",
            _U + "P052-*.otf", _U + "URWGothic-*.otf",
            "/usr/share/fonts/opentype/cantarell/Cantarell-*.otf",
            "/usr/share/fonts/opentype/dancingscript/DancingScript-*.otf",
            "/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf"],
    "heldout": ["/usr/share/fonts/truetype/liberation2/Liberation*.ttf",
                _U + "C059-*.otf", _U + "URWBookman-*.otf", _U + "NimbusSansNarrow-*.otf",
                _U + "Z003-*.otf",
                "/usr/share/fonts/opentype/comic-neue/ComicNeue-*.otf",
                "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf"],
}


def arc(cx, cy, rx, ry, a0, a1, n=24):
    """Points of an elliptic arc in the unit box (y down, angles in degrees)."""
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]


# pen strokes of each digit in a unit box (x right, y down): a list of
# shapes, each a list of polylines, as different people write the digit
DIGITS = {
    0: [[arc(0.5, 0.5, 0.38, 0.46, -90, 270)], [arc(0.5, 0.5, 0.34, 0.46, -100, 280)]],
    1: [[[(0.5, 0.05), (0.5, 0.95)]],
        [[(0.25, 0.25), (0.55, 0.05), (0.55, 0.95)]],
        [[(0.25, 0.25), (0.55, 0.05), (0.55, 0.95)], [(0.3, 0.95), (0.8, 0.95)]]],
    2: [[arc(0.5, 0.3, 0.34, 0.25, 200, 380) + [(0.15, 0.95), (0.88, 0.95)]],
        [arc(0.5, 0.28, 0.32, 0.23, 190, 360) + arc(0.5, 0.55, 0.32, 0.27, 0, 110)
         + [(0.15, 0.95), (0.3, 0.88), (0.9, 0.95)]]],
    3: [[arc(0.48, 0.27, 0.33, 0.22, 210, 450), arc(0.48, 0.71, 0.36, 0.24, 270, 500)],
        [[(0.15, 0.05), (0.82, 0.05), (0.45, 0.42)] + arc(0.48, 0.7, 0.36, 0.26, 280, 500)]],
    4: [[[(0.68, 0.95), (0.68, 0.05), (0.1, 0.65), (0.9, 0.65)]],
        [[(0.3, 0.05), (0.15, 0.6), (0.88, 0.6)], [(0.68, 0.3), (0.68, 0.95)]]],
    5: [[[(0.82, 0.05), (0.28, 0.05), (0.22, 0.45)] + arc(0.5, 0.67, 0.34, 0.28, 220, 510)],
        [[(0.25, 0.05), (0.2, 0.45)] + arc(0.5, 0.67, 0.34, 0.28, 220, 510), [(0.25, 0.05), (0.8, 0.05)]]],
    6: [[[(0.72, 0.05), (0.3, 0.48)] + arc(0.52, 0.7, 0.32, 0.26, 200, 560)],
        [arc(0.75, 0.55, 0.5, 0.5, 250, 180) + arc(0.52, 0.7, 0.32, 0.26, 180, 540)]],
    7: [[[(0.12, 0.05), (0.88, 0.05), (0.4, 0.95)]],
        [[(0.12, 0.12), (0.2, 0.05), (0.88, 0.05), (0.45, 0.95)], [(0.35, 0.5), (0.75, 0.5)]]],
    8: [[arc(0.5, 0.26, 0.28, 0.22, 0, 360), arc(0.5, 0.72, 0.34, 0.25, 0, 360)],
        [arc(0.5, 0.27, 0.26, 0.22, 90, 450) + arc(0.5, 0.72, 0.34, 0.25, 270, -90)]],
    9: [[arc(0.5, 0.3, 0.32, 0.26, 0, 360), [(0.82, 0.3), (0.68, 0.95)]],
        [arc(0.5, 0.3, 0.32, 0.26, 0, 360), [(0.82, 0.3)] + arc(0.3, 0.3, 0.52, 0.65, 0, 90)]],
}


def find_fonts(split):
    found = sorted(p for pat in FONTS[split] for p in glob.glob(pat))
    if not found:
        sys.exit(f"generate.py: no font of the {split} split installed (jobs/install-deps.sh)")
    return found


def log_uniform(rng, lo, hi):
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def smooth_field(rng, h, w, cells):
    """Low-frequency noise in [0, 1]: a random grid of cells x cells, bicubic."""
    g = (rng.random((cells, cells)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(g).resize((w, h), Image.BICUBIC), np.float32) / 255


# ---- geometry: unit box -> canvas pixels

def placement(rng, w, h, aspect, wobbly):
    """3x3 affine from the unit box to canvas pixels: size, slant, rotation, position."""
    height = min(h, w / max(aspect, 0.3)) * rng.uniform(0.45, 0.8)
    slant = rng.uniform(-0.35, 0.35) if wobbly else rng.uniform(-0.12, 0.12)
    angle = math.radians(rng.uniform(-20, 20) if wobbly else rng.uniform(-5, 5))
    c, s = math.cos(angle), math.sin(angle)
    m = np.array([[height * aspect, -slant * height, 0], [0, height, 0], [0, 0, 1]])
    m = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ m @ np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    extent = 0.5 * height * (1 + abs(slant)) * 1.1
    cx = rng.uniform(min(extent, w / 2), max(w - extent, w / 2))
    cy = rng.uniform(min(extent, h / 2), max(h - extent, h / 2))
    return np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]]) @ m


def dense(line, step=0.01):
    """A polyline resampled every `step` of the unit box."""
    pts = [np.array(line[0], float)]
    for a, b in zip(line[:-1], line[1:]):
        a, b = np.array(a, float), np.array(b, float)
        n = max(1, int(np.linalg.norm(b - a) / step))
        pts += [a + (b - a) * (k + 1) / n for k in range(n)]
    return np.array(pts)


def jitter(rng, pts, amount):
    """Hand tremor: a slow random displacement along the stroke plus a little noise."""
    t = np.linspace(0, 1, len(pts))[:, None]
    wave = sum(rng.normal(0, amount, 2) * np.sin(2 * math.pi * (f * t + rng.random(2)))
               for f in (0.5, 1.3, 2.7))
    return pts + wave + rng.normal(0, amount * 0.15, pts.shape)


def gaps(rng, pts):
    """Split a stroke where the pen skipped: runs of points left out."""
    keep = np.ones(len(pts), bool)
    for _ in range(rng.integers(1, 4)):
        if len(pts) > 12:
            start = rng.integers(0, len(pts) - 6)
            keep[start:start + rng.integers(4, 12)] = False
    runs, cur = [], []
    for p, k in zip(pts, keep):
        if k:
            cur.append(p)
        elif cur:
            runs.append(cur); cur = []
    return runs + ([cur] if cur else [])


# ---- the ink: a mask in [0, 1] of the canvas size

def stroke_mask(rng, digit, w, h, pen, wobbly, broken):
    ss = 4 if max(w, h) <= 100 else 2                 # supersampling for anti-aliasing
    shape = DIGITS[digit][rng.integers(len(DIGITS[digit]))]
    m = placement(rng, w, h, rng.uniform(0.55, 0.8), wobbly)
    img = Image.new("L", (w * ss, h * ss), 0)
    draw = ImageDraw.Draw(img)
    r = pen * ss / 2
    for line in shape:
        pts = jitter(rng, dense(line), 0.02 if wobbly else 0.008)
        for run in (gaps(rng, pts) if broken else [pts]):
            xy = [tuple((m @ [x, y, 1])[:2] * ss) for x, y in run]
            if len(xy) > 1:
                draw.line(xy, fill=255, width=max(1, round(pen * ss)), joint="curve")
            for x, y in (xy[0], xy[-1]):
                draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return np.asarray(img.resize((w, h), Image.BOX), np.float32) / 255


def glyph_mask(rng, digit, w, h, font_path, wobbly, broken, weight):
    font = ImageFont.truetype(font_path, 160)
    g = Image.new("L", (320, 320), 0)
    ImageDraw.Draw(g).text((60, 40), str(digit), font=font, fill=255)
    if weight:                                        # embolden or thin the face
        g = g.filter(ImageFilter.MaxFilter(7) if weight > 0 else ImageFilter.MinFilter(5))
    g = g.crop(g.getbbox())
    gw, gh = g.size
    m = placement(rng, w, h, gw / gh, wobbly)
    inv = np.array([[gw, 0, 0], [0, gh, 0], [0, 0, 1]]) @ np.linalg.inv(m)
    out = g.transform((w, h), Image.AFFINE, tuple(inv[:2].ravel()), Image.BILINEAR)
    mask = np.asarray(out, np.float32) / 255
    if broken:                                        # cuts across the glyph
        cut = Image.new("L", (w, h), 255)
        d = ImageDraw.Draw(cut)
        for _ in range(rng.integers(2, 4)):
            x, y = (m @ [rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), 1])[:2]
            a = rng.uniform(0, math.pi)
            dx, dy = math.cos(a) * w, math.sin(a) * h
            d.line([(x - dx, y - dy), (x + dx, y + dy)], fill=0,
                   width=max(1, round(0.07 * m[1, 1])))
        mask = mask * (np.asarray(cut, np.float32) / 255)
    return mask


# ---- paper, ink and the effects of each category (arrays H x W x 3, 0..255)

def ruled_paper(rng, w, h, colour):
    img = Image.new("RGB", (w, h), tuple(int(c) for c in colour))
    d = ImageDraw.Draw(img)
    line = tuple(int(c) for c in rng.choice([[150, 180, 230], [170, 170, 170], [140, 200, 160]]))
    gap = max(6, int(min(w, h) * rng.uniform(0.1, 0.3)))
    off = rng.integers(0, gap)
    for y in range(off, h, gap):
        d.line([(0, y), (w, y)], fill=line, width=1 if h < 200 else 2)
    if rng.random() < 0.5:                            # squared paper
        for x in range(off, w, gap):
            d.line([(x, 0), (x, h)], fill=line, width=1 if w < 200 else 2)
    elif rng.random() < 0.5:                          # a red margin
        x = int(w * rng.uniform(0.05, 0.2))
        d.line([(x, 0), (x, h)], fill=(220, 90, 90), width=1 if w < 200 else 2)
    return np.asarray(img, np.float32)


def grain(rng, img):
    """A phone photo of paper: blur, sensor noise and JPEG blocks."""
    h, w, _ = img.shape
    pic = Image.fromarray(img.clip(0, 255).astype(np.uint8))
    pic = pic.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0) * max(1, min(w, h) / 100)))
    noisy = np.asarray(pic, np.float32) + rng.normal(0, rng.uniform(5, 18), (h, w, 1))
    buf = io.BytesIO()
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=int(rng.integers(15, 50)))
    return np.asarray(Image.open(buf).convert("RGB"), np.float32)


def shadow(rng, img):
    """Uneven light: a gradient across the page, or a soft shadow falling on it."""
    h, w, _ = img.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, 2 * math.pi)
    t = (x / w - 0.5) * math.cos(a) + (y / h - 0.5) * math.sin(a) + 0.5
    if rng.random() < 0.5:
        light = 1 - rng.uniform(0.4, 0.7) * np.clip(t, 0, 1)
    else:                                             # a soft edge somewhere on the page
        edge = rng.uniform(0.3, 0.7)
        soft = rng.uniform(0.03, 0.15)
        light = 1 - rng.uniform(0.35, 0.6) / (1 + np.exp(-(t - edge) / soft))
    return img * light[..., None]


def chalk(rng, mask, w, h):
    board = np.array(rng.choice([[30, 55, 40], [25, 28, 30], [40, 45, 50]]), np.float32)
    smudge = smooth_field(rng, h, w, 4)[..., None] * 35    # old wiped-off chalk
    paper = board + smudge + rng.normal(0, 6, (h, w, 1))
    texture = np.clip(rng.random((h, w)) * 1.4, 0.2, 1)     # chalk skips on the grain
    ink = np.array([235, 235, 225], np.float32) * rng.uniform(0.8, 1)
    m = (mask * texture)[..., None]
    return paper * (1 - m) + ink * m


# ---- one picture

def make_image(rng, category, digit, fonts):
    glyph = category == "font" or (category not in ("thin", "thick") and rng.random() < 0.35)
    if category == "thin":
        w, h = int(rng.integers(200, 401)), int(rng.integers(200, 401))
    elif category == "thick":
        w = h = int(rng.integers(28, 65))
    else:
        w = int(log_uniform(rng, 28, 400))
        h = int(np.clip(w * rng.uniform(0.75, 1.35), 28, 400))
    wobbly, broken = category == "wobbly", category == "broken"
    if glyph:
        weight = int(rng.choice([-1, 0, 0, 1])) if category == "font" and min(w, h) > 40 else 0
        mask = glyph_mask(rng, digit, w, h, fonts[rng.integers(len(fonts))], wobbly, broken, weight)
    else:
        pen = {"thin": rng.uniform(1, 3), "thick": min(w, h) * rng.uniform(0.12, 0.2)}.get(
            category, min(w, h) * rng.uniform(0.03, 0.09))
        mask = stroke_mask(rng, digit, w, h, max(1.0, pen), wobbly, broken)

    if category == "chalk":
        return chalk(rng, mask, w, h)
    paper = np.full((h, w, 3), 255 - rng.uniform(0, 12), np.float32)
    ink = np.full(3, rng.uniform(0, 60), np.float32)
    if category == "grain":
        paper[:] = rng.uniform(150, 215)
        ink[:] = rng.uniform(20, 80)
    elif category == "coloured":
        paper = ruled_paper(rng, w, h, rng.choice([[255, 255, 255], [250, 240, 190],
                                                   [215, 235, 250], [250, 220, 230], [220, 245, 215]]))
        ink = np.array(rng.choice([[20, 40, 170], [190, 25, 25], [20, 120, 40],
                                   [110, 30, 140], [10, 90, 160]]), np.float32)
    img = paper * (1 - mask[..., None]) + ink * mask[..., None]
    if category == "grain":
        img = grain(rng, img)
    elif category == "shadow":
        img = shadow(rng, img)
    return img


def save_png(rng, img, path):
    """Save as one of the PNG kinds people send: grey, RGB, RGBA, palette, 16-bit grey."""
    rgb = Image.fromarray(img.clip(0, 255).round().astype(np.uint8), "RGB")
    kind = rng.choice(["L", "RGB", "RGBA", "P", "I;16"])
    if kind == "L":
        out = rgb.convert("L")
    elif kind == "RGBA":
        out = rgb.convert("RGBA")                     # opaque background
    elif kind == "P":
        out = rgb.convert("P", palette=Image.ADAPTIVE, colors=int(rng.choice([16, 64, 256])))
    elif kind == "I;16":
        grey = np.asarray(rgb.convert("L"), np.uint16) * 257
        out = Image.fromarray(grey, "I;16")
    else:
        out = rgb
    out.save(path)


def montage(folder, path, per_row=10, tile=64):
    """One row of raw samples per category, as a PNG (for docs/)."""
    with open(os.path.join(folder, "labels.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    sheet = Image.new("RGB", (70 + per_row * tile, len(CATEGORIES) * tile), (128, 128, 128))
    draw = ImageDraw.Draw(sheet)
    for r, category in enumerate(CATEGORIES):
        draw.text((4, r * tile + tile // 2 - 6), category, fill=(255, 255, 255))
        for c, row in enumerate([x for x in rows if x["category"] == category][:per_row]):
            pic = Image.open(os.path.join(folder, row["file"]))
            if pic.mode.startswith("I"):                  # 16-bit grey
                pic = Image.fromarray((np.asarray(pic) >> 8).astype(np.uint8))
            pic = pic.convert("RGB")
            pic.thumbnail((tile - 4, tile - 4), Image.LANCZOS)
            sheet.paste(pic, (70 + c * tile + 2, r * tile + 2))
    sheet.save(path, optimize=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="folder for the PNGs and labels.csv")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--split", choices=["dev", "heldout"], default="dev")
    ap.add_argument("--montage", metavar="PNG", help="also draw a sheet of samples per category")
    args = ap.parse_args()
    if args.count < 1:
        ap.error("--count must be at least 1")
    fonts = find_fonts(args.split)
    os.makedirs(args.out, exist_ok=True)
    split_id = ["dev", "heldout"].index(args.split)
    with open(os.path.join(args.out, "labels.csv"), "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["file", "label", "category"])
        for i in range(args.count):
            rng = np.random.default_rng([args.seed, split_id, i])
            category, digit = CATEGORIES[i % len(CATEGORIES)], (i // len(CATEGORIES)) % 10
            name = f"{i:05d}-{category}-{digit}.png"
            save_png(rng, make_image(rng, category, digit, fonts), os.path.join(args.out, name))
            out.writerow([name, digit, category])
    if args.montage:
        montage(args.out, args.montage)


if __name__ == "__main__":
    main()
