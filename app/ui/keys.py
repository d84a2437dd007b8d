"""Widget and query-parameter keys, in one place."""

FRAME = "frame"  # query parameter and selectbox key on the frame page
DATE_RANGE = "date_range"
OUTLETS = "outlets"
OVERVIEW_TABLE = "overview_table"
OVERVIEW_STORY = "story"  # query parameter and selectbox key on the overview
STORIES_TABLE = "stories_table"

GROUPS = "outlet_groups"
OUTLET = "outlet"  # query parameter and selectbox key on the outlets page
EVIDENCE_ALL = "evidence_all"
REPORT_WEEK = "report_week"
REPORT_BUILD = "report_build"
REPORT_ZIP = "report_zip"
REPORT_DOWNLOAD = "report_download"
COMPARE = "compare"  # query parameter and multiselect key on the compare page
COMPARE_INDEPENDENT = "compare_independent"
SEARCH = "q"  # query parameter and text input key on the search page
SEARCH_MODE = "mode"
FRAMES_TABLE = "frames_table"
EDIT_FRAME = "edit_frame"
EDIT_LABEL = "edit_label"
EDIT_RENAME = "edit_rename"
EDIT_INTO = "edit_into"
EDIT_MERGE = "edit_merge"
EDIT_RETIRE = "edit_retire"
EDIT_RESTORE = "edit_restore"
EDIT_CONFIRM = "edit_confirm"  # the merge's confirmation, naming both frames
REVIEW_FRAME = "review_frame"
REVIEW_REFIT = "review_refit"


def review_button(label: str, article_id: str) -> str:
    """The key of a review queue's one-click button (``label``: in or out) for an article."""
    return f"review_{label}_{article_id}"
SEED_FORM = "seed_form"
SEED_NAME = "seed_name"
SEED_PHRASES = "seed_phrases"
SEED_EXAMPLES = "seed_examples"
SEED_THRESHOLD = "seed_threshold"
SEED_MIN_PASSAGES = "seed_min_passages"
UPLOAD = "upload"
UPLOAD_GO = "upload_go"
UPLOAD_REPORT = "upload_report"
FLASH = "flash"
BUILD_NOTES = "build_notes"
REPORT_MODE = "report_mode"
# Query parameters that carry the filters and report mode.
Q_FROM = "from"
Q_TO = "to"
Q_OUTLETS = "outlets"
Q_GROUPS = "groups"
Q_REPORT = "report"
MARK_OUTLET = "mark_outlet"
MARK_DAY = "mark_day"
MARK_TABLE = "mark_table"
REBUTTALS = "rebuttals_table"
