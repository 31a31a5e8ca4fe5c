"""The bundled weights (``mlp.npz``), shipped as package data so that an installed copy finds them.

Use ``model.weights_io.BUNDLED_WEIGHTS``; nothing is ever written into this folder at run time
(retrained models go to the user data folder, see ``model.userdata``).
"""
