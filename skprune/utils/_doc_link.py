"""The "?" link of an estimator's HTML repr (Jupyter) to its API page."""

# Where ``make docs`` publishes: its class pages are ``generated/skprune.<Name>.html``
DOCS_URL = "https://skprune.readthedocs.io/en/latest/"


def _url_parameters(estimator):
    return {"estimator_name": type(estimator).__name__}


class DocLinkMixin:
    """Point scikit-learn's HTML repr at skprune's documentation, not sklearn's."""

    _doc_link_module = "skprune"
    _doc_link_template = DOCS_URL + "generated/skprune.{estimator_name}.html"
    _doc_link_url_param_generator = _url_parameters
