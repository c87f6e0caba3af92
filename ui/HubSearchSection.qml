import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Nibble.App

// "Search Hugging Face" in the model library: models with GGUF files on the
// Hugging Face Hub, sorted by downloads, likes or last update, each with its
// licence, size, whether it is a chat (instruct) or a base model and whether
// it is gated. Opening one lists its GGUF files with size and quantization
// and a Download button each; a download is checked against the sha256 the
// Hub publishes before the file joins the library. The searches run in the
// background: the page keeps answering while the Hub does.
ColumnLayout {
    id: section
    objectName: "hubSearchSection"
    spacing: 8

    function runSearch() { HubSearch.search(searchField.text) }

    Label {
        Layout.topMargin: 24
        text: qsTr("Search Hugging Face")
        color: Theme.text
        font.pixelSize: 18
        font.weight: Font.DemiBold
    }
    Label {
        Layout.fillWidth: true
        text: qsTr("Any GGUF model on huggingface.co. Chat models are marked; a base model only continues text. Gated models need their licence accepted on the website and an access token in Settings.")
        color: Theme.mutedText
        wrapMode: Text.Wrap
    }

    RowLayout {
        Layout.fillWidth: true
        spacing: 8
        TextField {
            id: searchField
            objectName: "hubSearchField"
            Layout.fillWidth: true
            placeholderText: qsTr("Model name, e.g. Llama 3.2 1B Instruct")
            selectByMouse: true
            onAccepted: section.runSearch()
        }
        ComboBox {
            id: sortBox
            objectName: "hubSortBox"
            Layout.preferredWidth: 200
            textRole: "text"
            valueRole: "value"
            model: [
                { text: qsTr("Most downloaded"), value: "downloads" },
                { text: qsTr("Most liked"), value: "likes" },
                { text: qsTr("Recently updated"), value: "updated" }
            ]
            Component.onCompleted: currentIndex = indexOfValue(HubSearch.sort)
            onActivated: HubSearch.sort = currentValue
        }
        Button {
            objectName: "hubSearchButton"
            text: qsTr("Search")
            highlighted: true
            onClicked: section.runSearch()
        }
    }

    RowLayout {
        Layout.fillWidth: true
        visible: HubSearch.busy
        spacing: 8
        BusyIndicator {
            objectName: "hubSearchBusy"
            running: HubSearch.busy
            implicitWidth: 24
            implicitHeight: 24
        }
        Label {
            text: qsTr("Asking Hugging Face…")
            color: Theme.mutedText
        }
    }
    Label {
        objectName: "hubSearchError"
        Layout.fillWidth: true
        visible: !HubSearch.busy && HubSearch.error.length > 0
        text: HubSearch.error
        color: Theme.danger
        wrapMode: Text.Wrap
    }
    Label {
        Layout.fillWidth: true
        visible: !HubSearch.busy && HubSearch.error.length === 0 && HubSearch.count === 0
                 && HubSearch.query.length > 0
        text: qsTr("No GGUF models on Hugging Face match “%1”.").arg(HubSearch.query)
        color: Theme.mutedText
    }

    Repeater {
        model: HubSearch
        delegate: Rectangle {
            id: result
            required property string repo
            required property string author
            required property var downloads
            required property var likes
            required property string license
            required property bool instruct
            required property string parametersText
            required property bool gated
            required property string architecture
            required property bool supported
            readonly property bool open: HubFiles.repo === repo

            function joined(parts) { return parts.filter(part => part.length > 0).join(" · ") }

            objectName: "hubResult_" + repo
            Layout.fillWidth: true
            implicitHeight: resultLayout.implicitHeight + 24
            radius: 12
            color: Theme.surface
            border.color: open ? Theme.accent : Theme.border

            ColumnLayout {
                id: resultLayout
                anchors.fill: parent
                anchors.margins: 12
                spacing: 6

                RowLayout {
                    Layout.fillWidth: true
                    spacing: 8
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 2
                        RowLayout {
                            spacing: 6
                            Label {
                                text: result.repo
                                color: Theme.text
                                font.weight: Font.DemiBold
                            }
                            Rectangle {
                                objectName: "kindBadge"
                                radius: 4
                                color: result.instruct ? Theme.selection : Theme.raised
                                implicitWidth: kindLabel.implicitWidth + 10
                                implicitHeight: kindLabel.implicitHeight + 4
                                Label {
                                    id: kindLabel
                                    anchors.centerIn: parent
                                    text: result.instruct ? qsTr("chat") : qsTr("base model")
                                    color: result.instruct ? Theme.accent : Theme.mutedText
                                    font.pixelSize: 11
                                }
                            }
                            Label {
                                visible: result.gated
                                text: qsTr("gated")
                                color: Theme.danger
                                font.pixelSize: 11
                            }
                        }
                        Label {
                            Layout.fillWidth: true
                            text: result.joined([result.parametersText.length > 0 ? result.parametersText + qsTr(" parameters") : "",
                                                 result.architecture,
                                                 result.license.length > 0 ? qsTr("Licence: %1").arg(result.license)
                                                                           : qsTr("no licence given"),
                                                 qsTr("%L1 downloads").arg(result.downloads),
                                                 qsTr("%L1 likes").arg(result.likes)])
                            color: Theme.mutedText
                            font.pixelSize: 12
                            elide: Text.ElideRight
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: !result.supported
                            text: qsTr("Nibble cannot run “%1” models.").arg(result.architecture)
                            color: Theme.danger
                            font.pixelSize: 12
                        }
                    }
                    Button {
                        objectName: "hubFilesButton"
                        text: result.open ? qsTr("Hide files") : qsTr("Show files")
                        onClicked: result.open ? HubFiles.close() : HubFiles.open(result.repo)
                    }
                }

                BusyIndicator {
                    visible: result.open && HubFiles.busy
                    running: visible
                    implicitWidth: 24
                    implicitHeight: 24
                }
                Label {
                    objectName: "hubFilesError"
                    Layout.fillWidth: true
                    visible: result.open && !HubFiles.busy && HubFiles.error.length > 0
                    text: HubFiles.error
                    color: Theme.danger
                    wrapMode: Text.Wrap
                }

                Repeater {
                    model: result.open ? HubFiles : null
                    delegate: ColumnLayout {
                        id: fileRow
                        required property string entryId
                        required property string fileName
                        required property string quantization
                        required property string bits
                        required property string sizeText
                        required property int parts
                        required property string downloadState
                        required property bool inLibrary
                        required property real progress
                        required property string progressText
                        required property string message
                        readonly property bool running: downloadState === "preparing" || downloadState === "downloading"
                                                        || downloadState === "verifying"

                        objectName: "hubFile_" + fileName
                        Layout.fillWidth: true
                        spacing: 2

                        RowLayout {
                            Layout.fillWidth: true
                            spacing: 8
                            Label {
                                Layout.minimumWidth: 70
                                text: fileRow.quantization.length > 0 ? fileRow.quantization : qsTr("unknown")
                                color: Theme.accent
                                font.weight: Font.DemiBold
                            }
                            Label {
                                Layout.fillWidth: true
                                text: result.joined([fileRow.fileName, fileRow.bits, fileRow.sizeText,
                                                     fileRow.parts > 1 ? qsTr("%1 parts").arg(fileRow.parts) : ""])
                                color: Theme.text
                                font.pixelSize: 12
                                elide: Text.ElideMiddle
                            }
                            Label {
                                visible: fileRow.inLibrary && !fileRow.running
                                text: qsTr("In the library")
                                color: Theme.accent
                                font.pixelSize: 12
                            }
                            Button {
                                objectName: "hubDownloadButton"
                                visible: !fileRow.inLibrary && !fileRow.running && fileRow.downloadState !== "paused"
                                enabled: HubFiles.supported
                                text: fileRow.downloadState === "failed" ? qsTr("Try again") : qsTr("Download")
                                onClicked: HubFiles.download(fileRow.fileName)
                            }
                            Button {
                                visible: fileRow.downloadState === "paused"
                                text: qsTr("Resume")
                                onClicked: HubFiles.download(fileRow.fileName)
                            }
                            Button {
                                visible: fileRow.running
                                enabled: fileRow.downloadState === "downloading"
                                text: qsTr("Pause")
                                onClicked: HubFiles.pause(fileRow.fileName)
                            }
                        }
                        ProgressBar {
                            Layout.fillWidth: true
                            visible: fileRow.running
                            from: 0
                            to: 1
                            value: fileRow.progress
                            indeterminate: fileRow.downloadState !== "downloading"
                        }
                        Label {
                            objectName: "hubFileMessage"
                            Layout.fillWidth: true
                            visible: fileRow.message.length > 0 || fileRow.downloadState === "verifying"
                            text: fileRow.downloadState === "verifying"
                                  ? qsTr("Checking it against the sha256 Hugging Face publishes…") : fileRow.message
                            color: fileRow.downloadState === "failed" ? Theme.danger : Theme.mutedText
                            font.pixelSize: 12
                            wrapMode: Text.Wrap
                        }
                    }
                }
            }
        }
    }
}
