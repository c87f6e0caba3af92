import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// The "Download models" part of the model library: the built-in catalog's
// chat models, each file with what the model is for, chat or base model, the
// memory it needs and whether this computer has it, Download / Pause /
// Resume / Cancel, a progress bar with speed and time left, and what went
// wrong in words. Downloads run in the background; a finished file appears
// among the models above.
ColumnLayout {
    id: section
    objectName: "downloadSection"
    spacing: 8

    Label {
        Layout.topMargin: 24
        text: qsTr("Download models")
        color: Theme.text
        font.pixelSize: 18
        font.weight: Font.DemiBold
    }
    Label {
        Layout.fillWidth: true
        text: qsTr("Well-known chat models from Hugging Face, each in 4-bit and 8-bit. Each file is checked against the size and sha256 Hugging Face publishes before it joins the library, and an interrupted download continues where it stopped.")
        color: Theme.mutedText
        wrapMode: Text.Wrap
    }

    Repeater {
        model: Downloads
        delegate: Rectangle {
            id: card
            required property string entryId
            required property string name
            required property string publisher
            required property string parameters
            required property string precision
            required property string bits
            required property string license
            required property string sizeText
            required property string downloadState
            required property bool inLibrary
            required property real progress
            required property string progressText
            required property string speedText
            required property string timeLeftText
            required property string message
            required property string purpose
            required property bool instruct
            required property string memoryText
            required property bool fits
            required property string fitText
            required property string speedEstimateText
            readonly property bool running: downloadState === "preparing" || downloadState === "downloading"
                                            || downloadState === "verifying"
            readonly property bool paused: downloadState === "paused"
            readonly property bool failed: downloadState === "failed"

            // Its parts that say something, one line. A function, not [..].filter
            // in the binding: Qt 6.4's qmllint types a literal list as QVariantList.
            function joined(parts) { return parts.filter(part => part.length > 0).join(" · ") }

            objectName: "download_" + entryId
            Layout.fillWidth: true
            implicitHeight: cardLayout.implicitHeight + 28
            radius: 12
            color: Theme.surface
            border.color: Theme.border

            ColumnLayout {
                id: cardLayout
                anchors.fill: parent
                anchors.margins: 14
                spacing: 6

                RowLayout {
                    Layout.fillWidth: true
                    spacing: 8
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 2
                        Label {
                            Layout.fillWidth: true
                            text: qsTr("%1 · %2 (%3)").arg(card.name).arg(card.bits).arg(card.precision)
                                  + (card.instruct ? "" : qsTr(" · base model: continues text, does not follow instructions"))
                            color: Theme.text
                            font.weight: Font.DemiBold
                            elide: Text.ElideRight
                        }
                        Label {
                            Layout.fillWidth: true
                            text: card.purpose
                            color: Theme.text
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                        Label {
                            Layout.fillWidth: true
                            text: card.joined([card.sizeText,
                                               card.parameters.length > 0 ? card.parameters + qsTr(" parameters") : "",
                                               card.publisher,
                                               qsTr("Licence: %1").arg(card.license)])
                            color: Theme.mutedText
                            font.pixelSize: 12
                            elide: Text.ElideRight
                        }
                        Label {
                            objectName: "memoryNote"
                            Layout.fillWidth: true
                            text: card.joined([card.memoryText,
                                               card.fitText,
                                               card.speedEstimateText])
                            color: card.fits ? Theme.mutedText : Theme.danger
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                    }
                    Label {
                        visible: card.inLibrary && !card.running && !card.paused
                        text: qsTr("In the library")
                        color: Theme.accent
                    }
                    Button {
                        objectName: "downloadButton"
                        visible: !card.inLibrary && !card.running && !card.paused
                        text: card.failed ? qsTr("Try again") : qsTr("Download")
                        highlighted: !card.failed
                        onClicked: Downloads.download(card.entryId)
                    }
                    Button {
                        objectName: "pauseButton"
                        visible: card.running
                        enabled: card.downloadState !== "verifying"
                        text: qsTr("Pause")
                        onClicked: Downloads.pause(card.entryId)
                    }
                    Button {
                        objectName: "resumeButton"
                        visible: card.paused
                        highlighted: true
                        text: qsTr("Resume")
                        onClicked: Downloads.resume(card.entryId)
                    }
                    Button {
                        objectName: "cancelButton"
                        visible: card.running || card.paused || (card.failed && card.progress > 0)
                        enabled: card.downloadState !== "verifying"
                        text: qsTr("Cancel")
                        onClicked: Downloads.cancel(card.entryId)
                    }
                }

                ProgressBar {
                    Layout.fillWidth: true
                    visible: card.running || card.paused || (card.failed && card.progress > 0)
                    from: 0
                    to: 1
                    value: card.progress
                    indeterminate: card.downloadState === "preparing" || card.downloadState === "verifying"
                }
                Label {
                    Layout.fillWidth: true
                    visible: card.running || card.paused
                    text: card.joined([card.progressText, card.speedText, card.timeLeftText,
                                       card.paused ? qsTr("paused") : ""])
                    color: Theme.mutedText
                    font.pixelSize: 12
                }
                Label {
                    objectName: "downloadMessage"
                    Layout.fillWidth: true
                    visible: card.message.length > 0
                    text: card.message
                    color: card.failed ? Theme.danger : Theme.mutedText
                    wrapMode: Text.Wrap
                }
            }
        }
    }

    Label {
        Layout.fillWidth: true
        Layout.bottomMargin: 12
        text: qsTr("Downloaded files are kept in %1.").arg(Downloads.modelsDir)
        color: Theme.mutedText
        font.pixelSize: 12
        elide: Text.ElideMiddle
    }
}
