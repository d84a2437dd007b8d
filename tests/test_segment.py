from app.segment import paragraphs, segment, text_hash


def test_title_then_paragraphs_with_offsets():
    text = "First paragraph is long enough to stand alone here.\n\nSecond paragraph, also long enough to stand.\n\n\n"
    ps = segment("A headline", text, min_chars=20, max_chars=500)
    assert [p.part for p in ps] == ["title", "body", "body"]
    assert [p.seq for p in ps] == [0, 1, 2]
    for p in ps[1:]:
        assert text[p.start:p.end] == p.text


def test_short_paragraphs_join_the_next():
    text = "Short.\n\nThis one is a longer paragraph of text."
    ps = segment(None, text, min_chars=20, max_chars=500)
    assert len(ps) == 1
    assert ps[0].text == text


def test_single_newlines_split_when_no_blank_lines():
    text = "Line one is quite long, really it is.\nLine two is quite long, really it is."
    assert len(paragraphs(text)) == 2


def test_long_paragraph_is_windowed_at_sentences_with_offsets():
    sentence = "This sentence has exactly some words in it. "
    text = sentence * 100
    ps = segment(None, text, min_chars=20, max_chars=300)
    assert len(ps) > 10
    assert all(len(p.text) <= 300 for p in ps)
    assert all(p.text.endswith(".") for p in ps)
    for p in ps:
        assert text[p.start:p.end] == p.text


def test_a_sentence_longer_than_the_window_is_cut_at_words():
    text = "word " * 400
    ps = segment(None, text, min_chars=20, max_chars=250)
    assert all(len(p.text) <= 250 for p in ps)
    assert sum(len(p.text.split()) for p in ps) == 400


def test_text_hash_ignores_whitespace_only():
    assert text_hash("a  b\n c") == text_hash("a b c")
    assert text_hash("a b c") != text_hash("a b d")


def test_empty_article():
    assert segment(None, "") == []
