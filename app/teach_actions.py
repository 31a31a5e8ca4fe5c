"""What the window does for Teach it your handwriting: label the drawing, open My digits, run Teach.

The logic lives in app.teach (headless: labelling, the Teach state machine) and app.my_digits
(the sample store); this module connects them to the window's parts: the status line, the
model in use (``window.controller``, ``window.files``), the My digits window
(app.my_digits_view) and the Teach dialog (app.teach_dialog). Every failure is one line in the
status line and changes nothing.

The window provides `root`, `controller`, `status`, `files`, `fonts` and `changed()`.
"""
from __future__ import annotations

from typing import Any

from app.my_digits import MyDigits, SampleStoreError
from app.teach import Base, Teacher, label_drawing, teach_error
from app.worker import poll_every
from model.oneline import one_line
from preprocessing.personalise import FineTuneError, FineTuneSettings


class TeachActions:
    """The window's Teach commands. store: the person's samples (read when first needed);
    teacher: the Teach state machine; settings: the fine-tune's (tests pass quicker ones)."""

    def __init__(self, window: Any, settings: FineTuneSettings | None = None) -> None:
        self.window = window
        self._store: MyDigits | None = None
        self.teacher = Teacher(settings, start_job=lambda job: poll_every(window.root, job),
                               on_change=self._teacher_changed)
        self.view = None    # app.my_digits_view.MyDigitsView, built when first opened
        self.dialog = None  # app.teach_dialog.TeachDialog, built when Teach first runs

    @property
    def store(self) -> MyDigits:
        """The sample store; SampleStoreError (one line) when its file cannot be read."""
        if self._store is None:
            self._store = MyDigits()
        return self._store

    # ------------------------------------------------------------------ labelling
    def label_as(self, digit: int) -> bool:
        """Store the drawing on the canvas as `digit`; the status line says so (or why not)."""
        controller = self.window.controller
        if not controller.strokes:
            self.window.status.say(f"Draw a digit first; then Ctrl+{digit} (or a click on its bar) says it is a "
                                   f"{digit}", error=True)
            return False
        try:
            message = label_drawing(self.store, controller.to_drawing(), digit)
        except (SampleStoreError, OSError) as exc:
            self.window.status.say(f"Could not save the drawing: {one_line(exc)}", error=True)
            return False
        self.window.status.say(message)
        if self.view is not None:
            self.view.refresh()
        return True

    # ------------------------------------------------------------------ My digits
    def show_my_digits(self) -> None:
        from app.my_digits_view import MyDigitsView

        try:
            store = self.store.reload()
        except SampleStoreError as exc:
            self.window.status.say(f"Could not open My digits: {one_line(exc)}", error=True)
            return
        if store.problems:
            self.window.status.say(f"{len(store.problems)} line(s) of your digits could not be read: "
                                   f"{store.problems[0]}", error=True)
        if self.view is None:
            self.view = MyDigitsView(self.window.root, store, self.window.fonts, say=self.window.status.say,
                                     on_change=self.window.changed)
        self.view.open()

    # ------------------------------------------------------------------ Teach
    def start_teach(self) -> None:
        """Teach: fine-tune a copy of the model in use on the samples, in the background, and
        show the dialog (progress, Cancel; then the figures, Use it, Discard)."""
        from app.teach_dialog import TeachDialog

        if self.dialog is None:
            self.dialog = TeachDialog(self.window.root, self.teacher, self.window.fonts, on_use=self.use_it,
                                      on_discard=self.discard, on_change=self.window.changed)
        if self.teacher.running or self.teacher.state == "done":
            self.dialog.open()  # one fine-tune at a time: show the one there is
            return
        files, controller = self.window.files, self.window.controller
        base = Base(controller.model, dict(controller.metadata), files.model.path, files.model.name)
        try:
            drawings = self.store.reload().drawings()
            self.teacher.start(base, drawings)
        except (FineTuneError, SampleStoreError) as exc:
            self.window.status.say(teach_error(exc), error=True)
            return
        self.window.status.say(f"Teaching a copy of the {base.name} model your handwriting "
                               f"({len(drawings)} drawings); the window keeps reading with the current model")
        self.dialog.open()

    def use_it(self) -> None:
        try:
            path = self.teacher.use_it()
        except (OSError, FineTuneError) as exc:
            self.window.status.say(f"Could not save your personal model: {one_line(exc)}", error=True)
            return
        self.window.files.use_personal_model(path)

    def discard(self) -> None:
        self.teacher.discard()
        self.window.status.say("Discarded the taught model; the model in use is as it was")

    def cancel(self) -> None:
        self.teacher.cancel()

    def _teacher_changed(self) -> None:
        teacher = self.teacher
        if teacher.state == "cancelled":
            self.window.status.say("Teach cancelled: nothing changed")
        elif teacher.state == "failed":
            self.window.status.say(f"Could not teach: {teacher.error}", error=True)
        elif teacher.state == "done" and teacher.result is not None:
            self.window.status.say("Teach done: " + "; ".join(teacher.lines()[:2]))
        if self.dialog is not None:
            self.dialog.refresh()
        self.window.changed()

    def closing(self) -> None:
        """The window closes: a running fine-tune is asked to stop (its thread is a daemon)."""
        self.teacher.cancel()
