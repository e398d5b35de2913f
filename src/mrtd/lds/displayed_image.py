"""DG5, DG6, DG7: images as displayed on the document (9303-10 §4.7.5-4.7.7).

65 DG5 (displayed portrait)   { 02 count, 5F40 image ... }
66 DG6 (reserved for future use; the same layout, read with 5F40 images)
67 DG7 (displayed signature or usual mark)   { 02 count, 5F43 image ... }

9303 asks for JPEG or JPEG 2000, but other formats are found on issued documents: those images
are kept as bytes with `mime_type` None rather than refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

from mrtd import tlv
from mrtd.errors import DecodeError
from mrtd.lds.fields import TAG_COUNT, Other, check_count, encode_other
from mrtd.lds.image import image_size, image_type
from mrtd.lds.image_decode import EncodedImage

if TYPE_CHECKING:
    pass

__all__ = [
    "DG5File",
    "DG6File",
    "DG7File",
    "DisplayedImage",
    "DisplayedImageGroup",
    "build_dg5",
    "build_dg6",
    "build_dg7",
]

TAG_PORTRAIT = 0x5F40
TAG_SIGNATURE = 0x5F43


@dataclass(frozen=True, slots=True, repr=False)
class DisplayedImage(EncodedImage):
    """One displayed image as stored; the repr leaves out the image (personal data)."""

    image: bytes
    mime_type: str | None  # "image/jpeg", "image/jp2", or None for another format
    width: int | None  # from the image header, when it is JPEG or JPEG 2000
    height: int | None

    @classmethod
    def from_image(cls, image: bytes) -> DisplayedImage:
        """Type and size read from the image's own header (nothing is decoded)."""
        width, height = image_size(image) or (None, None)
        return cls(image, image_type(image), width, height)

    def __repr__(self) -> str:
        size = f"{self.width}x{self.height}" if self.width and self.height else "size unknown"
        return (
            f"DisplayedImage({self.mime_type or 'unknown type'}, {size}, {len(self.image)} bytes)"
        )


@dataclass(frozen=True, slots=True, repr=False)
class DisplayedImageGroup:
    """A parsed DG5, DG6 or DG7: its images in order, and the objects not read."""

    TAG: ClassVar[int]
    IMAGE_TAG: ClassVar[int]
    NAME: ClassVar[str]

    images: tuple[DisplayedImage, ...]
    other: Other = ()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Parse the file; the instance count must match the images."""
        outer = tlv.decode_one(data)
        if outer.tag != cls.TAG:
            raise DecodeError(f"{cls.NAME} must have tag {cls.TAG:X}, not {outer.tag:X}")
        children = outer.children()
        images = [child for child in children if child.tag == cls.IMAGE_TAG]
        count = next((child for child in children if child.tag == TAG_COUNT), None)
        check_count(count, len(images), cls.NAME)
        other = tuple(
            (child.tag, child.value)
            for child in children
            if child is not count and child.tag != cls.IMAGE_TAG
        )
        return cls(tuple(DisplayedImage.from_image(image.value) for image in images), other)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.images)} image(s))"


@dataclass(frozen=True, slots=True, repr=False)
class DG5File(DisplayedImageGroup):
    """DG5: displayed portraits."""

    TAG: ClassVar[int] = 0x65
    IMAGE_TAG: ClassVar[int] = TAG_PORTRAIT
    NAME: ClassVar[str] = "DG5"


@dataclass(frozen=True, slots=True, repr=False)
class DG6File(DisplayedImageGroup):
    """DG6: reserved for future use; read with DG5's layout so that nothing is lost."""

    TAG: ClassVar[int] = 0x66
    IMAGE_TAG: ClassVar[int] = TAG_PORTRAIT
    NAME: ClassVar[str] = "DG6"


@dataclass(frozen=True, slots=True, repr=False)
class DG7File(DisplayedImageGroup):
    """DG7: displayed signatures or usual marks."""

    TAG: ClassVar[int] = 0x67
    IMAGE_TAG: ClassVar[int] = TAG_SIGNATURE
    NAME: ClassVar[str] = "DG7"


def build_dg5(images: Iterable[bytes], other: Other = ()) -> bytes:
    """DG5 holding the encoded `images` in order (any format is written as given)."""
    return _build(DG5File, images, other)


def build_dg6(images: Iterable[bytes], other: Other = ()) -> bytes:
    """DG6 with DG5's layout."""
    return _build(DG6File, images, other)


def build_dg7(images: Iterable[bytes], other: Other = ()) -> bytes:
    """DG7 holding the encoded signature or usual mark `images` in order."""
    return _build(DG7File, images, other)


def _build(kind: type[DisplayedImageGroup], images: Iterable[bytes], other: Other) -> bytes:
    encoded = [tlv.encode(kind.IMAGE_TAG, image) for image in images]
    if len(encoded) > 0xFF:
        raise ValueError(f"{kind.NAME} holds at most 255 images")
    count = tlv.encode(TAG_COUNT, bytes((len(encoded),)))
    return tlv.encode(kind.TAG, count + b"".join(encoded) + encode_other(other))
