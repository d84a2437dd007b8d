"""The sample's written truth (which frame, evidence moment or filler each paragraph was written as)
matches the bundled file, paragraph for paragraph: the quality checks on the sample rest on it."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_generator():
    spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "data" / "sample" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_sample_is_what_the_generator_writes():
    written = [json.loads(line) for line in (ROOT / "data" / "sample" / "articles.jsonl").read_text().splitlines()]
    assert written == load_generator().generate()


def test_truth_names_every_paragraph():
    generated = load_generator().generate(truth=True)
    kinds = {"frame", "evidence", "background", "reaction", "template", "credit"}
    for article in generated:
        paragraphs = article["text"].split("\n\n")
        assert len(article["_parts"]) == len(paragraphs), article["url"]
        assert {kind for kind, _ in article["_parts"]} <= kinds
        assert article["_parts"][0] == ("frame", article["_frames"][0])
        told = [label for kind, label in article["_parts"] if kind == "frame"]
        assert told == article["_frames"][: len(told)]
    copies = [a for a in generated if "_copy_of" in a]
    assert copies and all(a["_parts"][-1] == ("credit", None) for a in copies)
