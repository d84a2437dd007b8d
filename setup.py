"""pyproject.toml declares the project; this only puts the bundled sample (data/sample/: the articles and
their outlets' attributes) into the package as app/sample/, where app.config finds it in an installed copy.
A checkout reads data/sample/ itself."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SAMPLE = Path(__file__).resolve().parent / "data" / "sample"
SAMPLE_FILES = ("*.jsonl", "*.csv", "*.toml")


class BuildWithSample(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "app" / "sample"
        self.mkpath(str(target))
        for pattern in SAMPLE_FILES:
            for path in sorted(SAMPLE.glob(pattern)):
                self.copy_file(str(path), str(target / path.name))


setup(cmdclass={"build_py": BuildWithSample})
