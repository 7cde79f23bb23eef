// app.c compiled as C++17: the header must work from both languages.
#include "app.c"
