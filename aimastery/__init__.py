"""AI Mastery: the helpers shared by the course's chapters, labs and services.

Each module names the chapter that teaches what it contains. Chapters import
from here instead of redefining helpers; the lesson code itself stays in the
chapter (or in a lab's reference solution).
"""

__version__ = "0.1.0"
