"""Receptive fields, all in one place: the notes' recursion along the traced data flow (``recursion``), the
geometry of every call it reads (``geometry``), the check by back-propagation (``measure``), and the
effective field of a real network on a photo (``effective``)."""
