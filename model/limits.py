"""How much the readers accept: every limit on what a file may make Digit Pad read or allocate.

Digit Pad reads files it did not write (drawings, weights, MNIST in IDX, CSV or npz). A file may
declare any size in a header, decompress a thousandfold, or simply never end; a reader that trusts
it runs out of memory or time instead of saying one line. So each reader checks what a file
declares against these limits before it allocates, and reads compressed streams with a cap.

Every limit is far above what a real file needs (the figures in the comments), and together they
keep one reader within a few hundred megabytes whatever the file holds.
"""
from __future__ import annotations

MiB = 1 << 20

# ---------------------------------------------------------------------------------- drawings
#: Longest line of a drawing file. A person's drawing is a few kB (the pen digits: at most
#: 3 kB a line); a drawing of a million points with full-precision coordinates is about 40 MB.
MAX_DRAWING_LINE_BYTES = 64 * MiB
#: Most JSON values (numbers, lists, strings...) on one line. Parsed, each costs up to about 90
#: bytes, so a line of ``[[],[],...]`` would need 24 times its size; this bounds a line to about
#: 400 MB parsed, and still admits a drawing of a million points (three values a point).
MAX_DRAWING_LINE_VALUES = 4_000_000
#: Most strokes in one drawing (a digit takes 1-3; the eraser adds a few).
MAX_STROKES = 1000
#: Drawings with more points than this are simplified on reading (preprocessing.drawing); people
#: draw digits with 20-200 points (the pen digits: 185 at most).
MAX_DRAWING_POINTS = 2000

# --------------------------------------------------------------------------------- MNIST data
#: Most images (or labels) in one IDX or npz file: MNIST has 70,000, EMNIST's largest split
#: 814,255. A million 28x28 images take 784 MB as uint8.
MAX_IMAGES = 1_000_000
#: Largest CSV (after decompression): MNIST's training set as CSV is 109 MB.
MAX_CSV_BYTES = 256 * MiB
#: Largest single array read from a data .npz, whatever its dtype (a million uint8 images:
#: 784 MB; MNIST as float64 would be 439 MB).
MAX_DATA_ARRAY_BYTES = 800 * MiB
#: Largest download from a mirror (the largest MNIST file, compressed, is 9.9 MB).
MAX_DOWNLOAD_BYTES = 64 * MiB

# ---------------------------------------------------------------------------------- archives
#: Largest table of contents (zip central directory) of an .npz: about 100 bytes a member,
#: so this admits some 10,000 members; weights files have 7-15, data files 2-4.
MAX_ZIP_DIRECTORY_BYTES = 1 * MiB

# ----------------------------------------------------------------------------------- weights
#: Most weights in a network (the bundled 784-768-768-10 has 1.2 million; 784-4096-4096-10 has
#: 20 million). 32 million float32 weights are 128 MB.
MAX_PARAMETERS = 32_000_000
#: Most layers (layer_sizes entries) and widest layer.
MAX_LAYERS = 64
MAX_LAYER_WIDTH = 65536
#: Largest metadata member (the bundled weights' is 32 kB: 8,000 characters of four bytes).
MAX_METADATA_BYTES = 16 * MiB

# ------------------------------------------------------------------------------------ errors
#: Longest message a reader's error carries (whitespace collapsed, control characters escaped
#: by model.oneline): room for a download's list of failed mirrors. Printed lines are cut
#: further, to oneline.MAX_CHARS.
ERROR_CHARS = 1000
