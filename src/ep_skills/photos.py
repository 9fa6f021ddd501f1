"""Photos of the work (« photo de la pièce »): checked, stripped of their metadata, hashed.

A phone's photo carries where it was taken (GPS), the device, sometimes the owner's name: none
of it belongs in a school's journal about minors. :func:`clean_photo` decodes the image (so a
file that is not one is refused), turns it upright as the camera meant, scales it down to what
a livret needs, and encodes it again with no metadata at all; the journal keeps those bytes
under their SHA-256, once however often they are attached. Pillow does the work (it is already
installed with the reports' libraries) and is imported only when a photo arrives.
"""

from __future__ import annotations

import hashlib
import io

from ep_skills.errors import InvalidValueError
from ep_skills.i18n import _
from ep_skills.journal.model import Photo

__all__ = ["MAX_BYTES", "MAX_SIDE", "clean_photo", "thumbnail"]

MAX_BYTES = 12 << 20
"""The largest file accepted (a phone's photo is 2–8 MB)."""
MAX_SIDE = 1600
"""The longest side kept, in pixels: enough to see the piece, small enough for a livret."""
_MAX_PIXELS = 50_000_000
"""A larger image is refused before it is decoded (a « decompression bomb » otherwise)."""
_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}


def _refused() -> InvalidValueError:
    return InvalidValueError(
        _("this file is not a photo (JPEG, PNG or WebP)"), field="photo", value=None
    )


def clean_photo(data: bytes) -> tuple[Photo, bytes]:
    """The photo as it will be kept, and its bytes (JPEG, or PNG when it has transparency).

    :raises InvalidValueError: not an image, an empty or too large file, too many pixels.
    """
    if not data:
        raise _refused()
    if len(data) > MAX_BYTES:
        raise InvalidValueError(
            _("the photo is too large ({size} MB, {limit} MB at most)").format(
                size=len(data) >> 20, limit=MAX_BYTES >> 20
            ),
            field="photo",
        )
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in _FORMATS:
                raise _refused()
            if opened.width * opened.height > _MAX_PIXELS:
                raise InvalidValueError(
                    _("the photo has too many pixels ({n} million)").format(
                        n=opened.width * opened.height // 1_000_000
                    ),
                    field="photo",
                )
            opened.load()
            upright = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refused() from None
    transparent = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
    image = upright.convert("RGBA" if transparent else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    # Saved from the pixels alone: no EXIF, no XMP, no ICC profile, no comment or text chunk
    # (Pillow would carry over what ``info`` still holds).
    image.info.clear()
    out = io.BytesIO()
    if transparent:
        image.save(out, format="PNG", optimize=True)
        mime = "image/png"
    else:
        image.save(out, format="JPEG", quality=85, optimize=True)
        mime = "image/jpeg"
    cleaned = out.getvalue()
    photo = Photo(
        sha256=hashlib.sha256(cleaned).hexdigest(),
        mime=mime,
        width=image.width,
        height=image.height,
        size=len(cleaned),
    )
    return photo, cleaned


def thumbnail(data: bytes, side: int = 360) -> bytes:
    """A small JPEG of a kept photo (the livret embeds these, not the photos)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()
