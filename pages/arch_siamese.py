from pages.architecture import render

render("siamese")
