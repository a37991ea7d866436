"""A small Thrift compact-protocol codec: enough to decode a Parquet footer into
plain Python values, edit it, and encode it again: the Parquet corpus
(test_parquet_corpus.py) builds unusual but valid files by rewriting the footers
of files that pyarrow wrote (legacy list shapes, dictionary page offsets)."""

import struct

STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)


class Struct:
    """A Thrift struct as an ordered list of [field id, type, value]."""

    def __init__(self, fields=None):
        self.fields = fields or []

    def get(self, fid, default=None):
        for f in self.fields:
            if f[0] == fid:
                return f[2]
        return default

    def set(self, fid, ftype, value):
        for f in self.fields:
            if f[0] == fid:
                f[1], f[2] = ftype, value
                return
        self.fields.append([fid, ftype, value])
        self.fields.sort(key=lambda f: f[0])

    def remove(self, fid):
        self.fields = [f for f in self.fields if f[0] != fid]


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t):
        if t in (TRUE, FALSE):
            return t == TRUE
        if t == BYTE:
            return self.byte()
        if t in (I16, I32, I64):
            return self.zigzag()
        if t == DOUBLE:
            self.pos += 8
            return self.data[self.pos - 8 : self.pos]
        if t == BINARY:
            n = self.varint()
            self.pos += n
            return bytes(self.data[self.pos - n : self.pos])
        if t in (LIST, SET):
            head = self.byte()
            size, elem = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            if elem in (TRUE, FALSE):
                return (elem, [self.byte() == TRUE for _ in range(size)])
            return (elem, [self.value(elem) for _ in range(size)])
        if t == STRUCT:
            return self.struct()
        raise ValueError(f"thrift type {t} is not handled")

    def struct(self):
        out, last = Struct(), 0
        while True:
            head = self.byte()
            if head == STOP:
                return out
            delta, t = head >> 4, head & 0x0F
            fid = last + delta if delta else self.zigzag()
            out.fields.append([fid, t, self.value(t)])
            last = fid


class _Writer:
    def __init__(self):
        self.out = bytearray()

    def varint(self, n):
        while n >= 0x80:
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7
        self.out.append(n)

    def zigzag(self, n):
        self.varint((n << 1) ^ (n >> 63))

    def value(self, t, v):
        if t == BYTE:
            self.out.append(v)
        elif t in (I16, I32, I64):
            self.zigzag(v)
        elif t == DOUBLE:
            self.out += v
        elif t == BINARY:
            self.varint(len(v))
            self.out += v
        elif t in (LIST, SET):
            elem, items = v
            if len(items) < 15:
                self.out.append(len(items) << 4 | elem)
            else:
                self.out.append(0xF0 | elem)
                self.varint(len(items))
            for item in items:
                if elem in (TRUE, FALSE):
                    self.out.append(TRUE if item else FALSE)
                else:
                    self.value(elem, item)
        elif t == STRUCT:
            self.struct(v)
        else:
            raise ValueError(f"thrift type {t} is not handled")

    def struct(self, s):
        last = 0
        for fid, t, v in s.fields:
            if t in (TRUE, FALSE):
                t = TRUE if v else FALSE
            if 0 < fid - last <= 15:
                self.out.append((fid - last) << 4 | t)
            else:
                self.out.append(t)
                self.zigzag(fid)
            if t not in (TRUE, FALSE):
                self.value(t, v)
            last = fid
        self.out.append(STOP)


def decode(data):
    reader = _Reader(memoryview(data))
    return reader.struct(), reader.pos


def encode(struct):
    writer = _Writer()
    writer.struct(struct)
    return bytes(writer.out)


# --- Parquet footers ---------------------------------------------------------------------
# Field ids of parquet.thrift that the corpus edits.
FILE_SCHEMA, FILE_NUM_ROWS, FILE_ROW_GROUPS = 2, 3, 4
ELEMENT_TYPE, ELEMENT_REPETITION, ELEMENT_NAME, ELEMENT_CHILDREN, ELEMENT_CONVERTED, ELEMENT_LOGICAL = 1, 3, 4, 5, 6, 10
REQUIRED, OPTIONAL, REPEATED = 0, 1, 2
GROUP_COLUMNS, GROUP_NUM_ROWS = 1, 3
CHUNK_META = 3
META_PATH, META_DATA_PAGE_OFFSET, META_DICTIONARY_PAGE_OFFSET = 3, 9, 11


def rewrite_footer(path, edit):
    """Decodes the file's footer, lets `edit` change it (a Struct), and writes it back."""
    data = open(path, "rb").read()
    assert data[-4:] == b"PAR1"
    length = struct.unpack("<i", data[-8:-4])[0]
    footer, used = decode(data[-8 - length : -8])
    assert used == length
    edit(footer)
    encoded = encode(footer)
    with open(path, "wb") as out:
        out.write(data[: -8 - length] + encoded + struct.pack("<i", len(encoded)) + b"PAR1")


def schema_elements(footer):
    return footer.get(FILE_SCHEMA)[1]


def column_metas(footer):
    """Every column chunk's ColumnMetaData, row group by row group."""
    return [chunk.get(CHUNK_META) for group in footer.get(FILE_ROW_GROUPS)[1] for chunk in group.get(GROUP_COLUMNS)[1]]


def set_schema(footer, elements):
    """Replaces the schema (root first, depth first) and recomputes each chunk's path from it."""
    footer.set(FILE_SCHEMA, LIST, (STRUCT, elements))
    paths = []

    def walk(index, prefix):
        element = elements[index]
        children = element.get(ELEMENT_CHILDREN) or 0
        path = prefix + [element.get(ELEMENT_NAME)] if index > 0 else []
        index += 1
        if children == 0:
            paths.append(path)
        for _ in range(children):
            index = walk(index, path)
        return index

    walk(0, [])
    for group in footer.get(FILE_ROW_GROUPS)[1]:
        chunks = group.get(GROUP_COLUMNS)[1]
        assert len(chunks) == len(paths)
        for chunk, path in zip(chunks, paths):
            chunk.get(CHUNK_META).set(META_PATH, LIST, (BINARY, path))


def rename(element, name, repetition):
    element.set(ELEMENT_NAME, BINARY, name)
    element.set(ELEMENT_REPETITION, I32, repetition)
    return element
