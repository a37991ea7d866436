"""`to_huggingface_dataset`: the rows as a Hugging Face `datasets.Dataset` or `IterableDataset`.

Not streaming, the read's Arrow batches become the Dataset's in-memory Arrow table as they are (no
row conversion, no copy into the Hugging Face cache). Streaming, an `IterableDataset` opens a new read
on each pass and yields its rows, typed by features taken from the read's schema without reading data.
"""

from typing import Any, Dict, Iterator


def to_huggingface_dataset(reads: Any, streaming: bool, read_options: Dict[str, Any]) -> Any:
    try:
        import datasets
        from datasets.table import InMemoryTable
    except ImportError as exc:
        raise ImportError(
            f"sluice: to_huggingface_dataset needs datasets, which is not installed ({exc}); "
            "install it with `pip install 'sluice-data[huggingface]'` or `pip install datasets`"
        ) from exc

    if not streaming:
        with reads.to_arrow(**read_options) as reader:
            table = reader.read_all()
        return datasets.Dataset(InMemoryTable(table))
    with reads.to_arrow(**dict(read_options, limit=0)) as reader:  # checks the options, reads no rows
        features = datasets.Features.from_arrow_schema(reader.schema)
    return datasets.IterableDataset.from_generator(
        _rows, features=features, gen_kwargs={"reads": reads, "read_options": read_options}
    )


def _rows(reads: Any, read_options: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    with reads.to_arrow(**read_options) as reader:
        for batch in reader:
            yield from batch.to_pylist()
