"""What the architecture pages teach: each architecture's story (``story`` with ``classic``, ``deep``,
``efficient``), its key idea, layer walk and quiz computed from the model, the training recipes, where the
implementation departs from the paper, the notes' claims and tables checked against our numbers
(``notes_check``, ``notes_tables``, ``comparison``, ``profiles``), ILSVRC results and transfer-learning stages."""
