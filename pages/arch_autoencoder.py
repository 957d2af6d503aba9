from pages.architecture import render

render("autoencoder")
