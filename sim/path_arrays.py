"""Array helpers of the projector's path batch: a first-order filter along weeks (scipy's
``lfilter`` without importing scipy.signal) and the distinct rows of a batch (computing a
per-path quantity once per distinct path)."""

from __future__ import annotations

import numpy as np


def _filter_weeks(b: float, c: float, x: np.ndarray, z0: float | np.ndarray) -> np.ndarray:
    """``first_order_filter`` on weeks × rows (``z0`` a number or one per row): a week's rows
    are contiguous, and the loop writes into its buffers."""
    bx = np.multiply(b, x, order="C")
    y, carried = np.empty(bx.shape), np.empty(bx.shape[1:])
    np.add(bx[0], z0, out=y[0])
    for last, new, b_x in zip(y[:-1], y[1:], bx[1:], strict=True):
        np.add(b_x, np.multiply(c, last, carried), new)
    return y


def first_order_filter(b: float, c: float, x: np.ndarray, z0: float) -> np.ndarray:
    """y_k = b·x_k + c·y_{k−1} along axis 1, with c·y_{−1} = ``z0``: scipy's ``lfilter([b],
    [1, −c], x, zi=z0)`` step for step, without importing scipy.signal (a third of a second
    of start-up) for two first-order filters."""
    return np.ascontiguousarray(_filter_weeks(b, c, np.asarray(x).T, z0).T)


def _unique_rows(*arrays: np.ndarray) -> tuple[list[int], list[int] | None]:
    """The first of each distinct row of ``arrays`` side by side (same bytes), and each row's
    index among those (None when every row is distinct)."""
    seen: dict[bytes, int] = {}
    first, inverse, n = [], [], arrays[0].shape[0]
    flat = np.concatenate([a.reshape(n, -1) for a in arrays], axis=1).tobytes()
    size = len(flat) // max(n, 1)  # a row's bytes: its arrays' rows side by side
    for i in range(n):
        j = seen.setdefault(flat[i * size : (i + 1) * size], len(first))
        if j == len(first):
            first.append(i)
        inverse.append(j)
    return first, (None if len(first) == len(inverse) else inverse)
