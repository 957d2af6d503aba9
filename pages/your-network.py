"""Your network: any timm architecture by name, or an uploaded ONNX file, analysed like the architecture pages."""

from ui.first_visit import through_app

through_app()

from ui.any_network import render

render()
