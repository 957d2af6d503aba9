"""Streamlit helpers shared by the page scripts in ``pages/``: the page catalog, cached calls, the photo
picker, the architecture-page renderer and its lecture parts, busy handling and the first-visit guard, whose job a
queue's place is (``session``) and a user's text shown as text (``plain``)."""
