"""Sphinx configuration: numpydoc, autosummary and sphinx-gallery, offline."""

import skprune

project = "skprune"
author = "the skprune developers"
copyright = "2026, the skprune developers"
version = release = skprune.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax and its fonts copied into _static
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
templates_path = ["_templates"]  # class pages without an empty __init__ row
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# sphinx-gallery's execution-time summary loads its tables from a CDN: not built
exclude_patterns = ["_build", "sg_execution_times.rst"]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's metadata-routing setters cross-reference its own glossary
    "exclude-members": ", ".join(
        f"set_{method}_request"
        for method in ("fit", "score", "transform", "predict", "partial_fit")
    ),
}
suppress_warnings = ["myst.header"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    "write_computation_times": False,  # those pages load tables from a CDN
    "image_scrapers": ("matplotlib",),
}

html_theme = "alabaster"
html_title = f"skprune {version}"
html_static_path = ["_static"]
html_css_files = ["wrap.css"]  # long code lines scroll instead of being cut off
