#!/usr/bin/python3
"""Draws the "own digits" of docs/: two pictures per digit, as a person might
make them -- pen strokes of varying width, slant and size, on canvases of
different shapes, dark ink on light paper or chalk on a board, and saved as
different kinds of PNG (grey, RGB, RGBA with transparent paper, palette).
They are not MNIST images: nnmpi query must normalise them itself.
Run: /usr/bin/python3 docs/own-digits/draw.py   (needs python3-pil)"""
import math
import os
import random

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
random.seed(7)

# strokes of each digit in a unit box (x right, y down), as polylines
def arc(cx, cy, rx, ry, a0, a1, n=24):
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]

DIGITS = {
    0: [arc(0.5, 0.5, 0.32, 0.45, 0, 360)],
    1: [[(0.35, 0.25), (0.55, 0.05), (0.55, 0.95)]],
    2: [arc(0.5, 0.3, 0.3, 0.25, 200, 380) + [(0.2, 0.95), (0.85, 0.95)]],
    3: [arc(0.48, 0.27, 0.3, 0.22, 210, 450), arc(0.48, 0.71, 0.33, 0.24, 270, 500)],
    4: [[(0.65, 0.95), (0.65, 0.05), (0.15, 0.65), (0.88, 0.65)]],
    5: [[(0.8, 0.05), (0.28, 0.05), (0.24, 0.45)] + arc(0.5, 0.67, 0.32, 0.28, 220, 510)],
    6: [[(0.72, 0.05), (0.35, 0.45)] + arc(0.5, 0.7, 0.3, 0.26, 200, 560)],
    7: [[(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)], [(0.35, 0.5), (0.72, 0.5)]],
    8: [arc(0.5, 0.27, 0.26, 0.22, 0, 360), arc(0.5, 0.72, 0.32, 0.25, 0, 360)],
    9: [arc(0.5, 0.3, 0.28, 0.25, 0, 360), [(0.78, 0.3), (0.65, 0.95)]],
}

STYLES = [  # (canvas w, h, paper, ink, mode)
    (200, 280, (255, 255, 255), (20, 20, 20), "L"),
    (96, 96, (250, 245, 230), (30, 40, 160), "RGB"),
    (300, 200, None, (0, 0, 0), "RGBA"),          # transparent paper
    (120, 160, (15, 25, 20), (235, 235, 235), "P"),  # chalk on a board
]


def draw_digit(d, k):
    w, h, paper, ink, mode = STYLES[(d + k) % len(STYLES)]
    img = Image.new("RGBA", (w, h), paper + (255,) if paper else (255, 255, 255, 0))
    g = ImageDraw.Draw(img)
    size = min(w, h) * random.uniform(0.45, 0.7)
    x0 = random.uniform(0.1, 0.9) * (w - size * 0.75)
    y0 = random.uniform(0.1, 0.9) * (h - size)
    slant = random.uniform(-0.2, 0.2)
    width = max(2, int(size * random.uniform(0.07, 0.12)))
    for stroke in DIGITS[d]:
        pts = [(x0 + (x + slant * (1 - y)) * size * 0.75 + random.gauss(0, size * 0.01),
                y0 + y * size + random.gauss(0, size * 0.01)) for x, y in stroke]
        g.line(pts, fill=ink + (255,), width=width, joint="curve")
        for p in (pts[0], pts[-1]):
            g.ellipse([p[0] - width / 2, p[1] - width / 2, p[0] + width / 2, p[1] + width / 2],
                      fill=ink + (255,))
    if mode == "L":
        img = img.convert("L")
    elif mode == "RGB":
        img = img.convert("RGB")
    elif mode == "P":
        img = img.convert("RGB").convert("P", palette=Image.ADAPTIVE, colors=16)
    img.save(os.path.join(HERE, f"digit{d}_{chr(ord('a') + k)}.png"), optimize=True)


for d in range(10):
    for k in range(2):
        draw_digit(d, k)
