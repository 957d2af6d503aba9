"""A live class: rooms that an instructor opens, questions asked of the room, the students' answers.

``store``: the database (embedded SQLite by default, PostgreSQL where ``CNNVIZ_DATABASE_URL`` says), its tables
(``models``) and their migrations (``migrations``, run when the store is first used). ``rooms``: what an instructor
and a student may do. ``questions``: what is asked, how an answer is graded and which slip a wrong one is.
No Streamlit here: the pages in ``ui.classroom`` draw what these return.
"""
