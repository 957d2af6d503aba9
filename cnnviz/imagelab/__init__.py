"""The image lab: a user's photo (``images``) or a sample (``samples``) through pretrained networks
(``pretrained``, ``predict``) behind a bounded queue (``serving``), and what the layers see (``inside``,
``figures``)."""
